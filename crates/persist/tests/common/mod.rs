//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

use redraft_persist::rdb::{LoadInfo, RdbError};
use redraft_persist::{RdbValue, Record};

/// `shared/test-vectors`, beside the repository (override with
/// `REDRAFT_TEST_VECTORS`).
pub fn vectors_dir() -> PathBuf {
    if let Ok(p) = std::env::var("REDRAFT_TEST_VECTORS") {
        return PathBuf::from(p);
    }
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/test-vectors");
    assert!(
        p.is_dir(),
        "test vectors not found at {} (set REDRAFT_TEST_VECTORS)",
        p.display()
    );
    p
}

pub fn vector(rel: &str) -> Vec<u8> {
    let p = vectors_dir().join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()))
}

/// Every RDB vector that must load, relative to the vectors dir.
pub const LOADABLE: &[&str] = &[
    "redis-7.0.15/dump.rdb",
    "redis-tests-assets/encodings.rdb",
    "redis-tests-assets/hash-zipmap.rdb",
    "redis-tests-assets/hash-ziplist.rdb",
    "redis-tests-assets/zset-ziplist.rdb",
    "redis-tests-assets/list-quicklist.rdb",
    "redis-tests-assets/scriptbackup.rdb",
    "redis-tests-assets/corrupt_empty_keys.rdb",
    "redis-tests-assets/rdb-preamble.aof",
    "generated/minimal-v10.rdb",
    "generated/minimal-v10-checksum-zero.rdb",
    "generated/minimal-v11-rejected-by-7.0.rdb",
    "generated/minimal-v9-no-stream.rdb",
    "generated/redis-7.0.15-save.rdb",
    "generated/redis-7.0.15-fullsync-payload.rdb",
];

pub fn load_bytes(bytes: &[u8]) -> Result<(LoadInfo, Vec<Record>), RdbError> {
    let mut recs = Vec::new();
    let info = redraft_persist::load(bytes, |r| {
        recs.push(r);
        Ok(())
    })?;
    Ok((info, recs))
}

pub fn load_vector(rel: &str) -> (LoadInfo, Vec<Record>) {
    load_bytes(&vector(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

pub fn b(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

pub fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(s.len() % 2 == 0, "odd hex");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

pub fn find<'a>(recs: &'a [Record], db: u32, key: &str) -> &'a Record {
    recs.iter()
        .find(|r| r.db == db && r.key == key.as_bytes())
        .unwrap_or_else(|| panic!("key {key} in db {db} not found"))
}

/// Order-insensitive form for types whose order Redis does not keep
/// (sets and hashes by content, zsets by member).
pub fn normalize(v: &RdbValue) -> RdbValue {
    match v {
        RdbValue::Set(s) => {
            let mut s = s.clone();
            s.sort();
            RdbValue::Set(s)
        }
        RdbValue::Hash(h) => {
            let mut h = h.clone();
            h.sort();
            RdbValue::Hash(h)
        }
        RdbValue::ZSet(z) => {
            let mut z = z.clone();
            z.sort_by(|a, b| a.0.cmp(&b.0));
            RdbValue::ZSet(z)
        }
        other => other.clone(),
    }
}

/// A small deterministic PRNG (xorshift64*).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}
