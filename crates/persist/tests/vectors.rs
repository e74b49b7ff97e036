//! The reader against every file in shared/test-vectors, the writer by round
//! trip, DUMP/RESTORE payloads written by real Redis, and corruption.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use redraft_persist::rdb::{Checksum, RdbErrorKind};
use redraft_persist::{
    dump_payload, restore_payload, write_rdb, RdbValue, Record, StreamId, WriterOptions,
};

fn list(items: &[&str]) -> RdbValue {
    RdbValue::List(items.iter().map(|s| b(s)).collect())
}

fn sorted_strs(v: &RdbValue) -> Vec<String> {
    let mut out: Vec<String> = match v {
        RdbValue::Set(s) | RdbValue::List(s) => s
            .iter()
            .map(|x| String::from_utf8_lossy(x).into_owned())
            .collect(),
        other => panic!("not a set/list: {other:?}"),
    };
    out.sort();
    out
}

fn hash_map(v: &RdbValue) -> BTreeMap<Vec<u8>, Vec<u8>> {
    match v {
        RdbValue::Hash(h) => {
            let m: BTreeMap<_, _> = h.iter().cloned().collect();
            assert_eq!(m.len(), h.len(), "duplicate hash fields");
            m
        }
        other => panic!("not a hash: {other:?}"),
    }
}

fn zset_map(v: &RdbValue) -> BTreeMap<Vec<u8>, f64> {
    match v {
        RdbValue::ZSet(z) => {
            let m: BTreeMap<_, _> = z.iter().cloned().collect();
            assert_eq!(m.len(), z.len(), "duplicate zset members");
            m
        }
        other => panic!("not a zset: {other:?}"),
    }
}

fn kv(pairs: &[(&str, &str)]) -> BTreeMap<Vec<u8>, Vec<u8>> {
    pairs.iter().map(|(k, v)| (b(k), b(v))).collect()
}

fn zs(pairs: &[(&str, f64)]) -> BTreeMap<Vec<u8>, f64> {
    pairs.iter().map(|(k, v)| (b(k), *v)).collect()
}

// ---------------------------------------------------------------------------
// redis-7.0.15/dump.rdb against dump.expected.json
// ---------------------------------------------------------------------------

fn unhex_json(v: &serde_json::Value) -> Vec<u8> {
    hex(v.as_str().expect("hex string"))
}

#[test]
fn redis_7_0_15_dump_matches_expected_json() {
    let (info, recs) = load_vector("redis-7.0.15/dump.rdb");
    assert_eq!(info.version, 10);
    assert!(matches!(info.checksum, Checksum::Verified(_)));
    assert_eq!(info.aux_value(b"redis-ver"), Some(&b"7.0.15"[..]));
    assert!(info.empty_keys_skipped.is_empty());

    let json: serde_json::Value =
        serde_json::from_slice(&vector("redis-7.0.15/dump.expected.json")).unwrap();
    let keys = json["keys"].as_array().unwrap();
    assert_eq!(keys.len(), recs.len(), "number of keys");
    assert_eq!(info.keys_loaded as usize, recs.len());
    let mut seen = BTreeSet::new();
    for k in keys {
        let db = k["db"].as_u64().unwrap() as u32;
        let key = unhex_json(&k["key"]);
        assert!(seen.insert((db, key.clone())), "duplicate key in JSON");
        let rec = recs
            .iter()
            .find(|r| r.db == db && r.key == key)
            .unwrap_or_else(|| panic!("missing {}", String::from_utf8_lossy(&key)));
        let name = String::from_utf8_lossy(&key).into_owned();
        let ty = k["type"].as_str().unwrap();
        assert_eq!(rec.value.type_name(), ty, "{name}: type");
        assert_eq!(
            rec.expire_ms,
            k.get("expire_at_ms").and_then(|e| e.as_i64()),
            "{name}: expiry"
        );
        let val = &k["value"];
        match ty {
            "string" => assert_eq!(rec.value, RdbValue::String(unhex_json(val)), "{name}"),
            "list" => {
                let want: Vec<Vec<u8>> = val.as_array().unwrap().iter().map(unhex_json).collect();
                assert_eq!(rec.value, RdbValue::List(want), "{name}");
            }
            "set" => {
                let mut want: Vec<Vec<u8>> =
                    val.as_array().unwrap().iter().map(unhex_json).collect();
                want.sort();
                match &rec.value {
                    RdbValue::Set(s) => {
                        let mut got = s.clone();
                        got.sort();
                        assert_eq!(got, want, "{name}");
                    }
                    _ => unreachable!(),
                }
            }
            "hash" => {
                let want: BTreeMap<Vec<u8>, Vec<u8>> = val
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(f, v)| (hex(f), unhex_json(v)))
                    .collect();
                assert_eq!(hash_map(&rec.value), want, "{name}");
            }
            "zset" => {
                let want: BTreeMap<Vec<u8>, f64> = val
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| {
                        let score: f64 = p[1].as_str().unwrap().parse().unwrap();
                        (unhex_json(&p[0]), score)
                    })
                    .collect();
                assert_eq!(zset_map(&rec.value), want, "{name}");
            }
            "stream" => {
                let RdbValue::Stream(s) = &rec.value else {
                    unreachable!()
                };
                let want = val.as_array().unwrap();
                assert_eq!(s.entries.len(), want.len(), "{name}: XLEN");
                for (e, w) in s.entries.iter().zip(want) {
                    assert_eq!(e.id.to_string(), w[0].as_str().unwrap(), "{name}");
                    let fields: BTreeMap<Vec<u8>, Vec<u8>> = w[1]
                        .as_object()
                        .unwrap()
                        .iter()
                        .map(|(f, v)| (hex(f), unhex_json(v)))
                        .collect();
                    let got: BTreeMap<Vec<u8>, Vec<u8>> = e.fields.iter().cloned().collect();
                    assert_eq!(got, fields, "{name} {}", e.id);
                }
                assert_eq!(s.last_id, s.entries.last().unwrap().id);
            }
            other => panic!("unexpected type {other}"),
        }
    }
    // The big list has a PLAIN quicklist node (an element stored raw).
    let big = find(&recs, 0, "list:bigelem");
    let RdbValue::List(items) = &big.value else {
        panic!()
    };
    assert!(items.iter().any(|i| i.len() > 1000));
}

// ---------------------------------------------------------------------------
// redis-tests-assets
// ---------------------------------------------------------------------------

#[test]
fn encodings_rdb_matches_redis_csvdump() {
    let (info, recs) = load_vector("redis-tests-assets/encodings.rdb");
    assert_eq!(info.version, 4);
    assert_eq!(info.checksum, Checksum::Absent);
    assert!(info.aux.is_empty());
    assert_eq!(recs.len(), 13);
    assert!(recs.iter().all(|r| r.db == 0 && r.expire_ms.is_none()));
    let s = |k: &str| find(&recs, 0, k).value.clone();
    assert_eq!(s("compressible"), RdbValue::String(vec![b'a'; 137]));
    assert_eq!(s("string"), RdbValue::String(b("Hello World")));
    assert_eq!(s("number"), RdbValue::String(b("10")));
    let one = ["1", "2", "3", "a", "b", "c", "100000", "6000000000"];
    assert_eq!(s("list_zipped"), list(&one));
    assert_eq!(s("list"), list(&[one, one, one].concat()));
    assert_eq!(
        sorted_strs(&s("set")),
        ["1", "100000", "2", "3", "6000000000", "a", "b", "c"]
    );
    assert_eq!(sorted_strs(&s("set_zipped_1")), ["1", "2", "3", "4"]);
    assert_eq!(
        sorted_strs(&s("set_zipped_2")),
        ["100000", "200000", "300000", "400000"]
    );
    assert_eq!(
        sorted_strs(&s("set_zipped_3")),
        [
            "1000000000",
            "2000000000",
            "3000000000",
            "4000000000",
            "5000000000",
            "6000000000"
        ]
    );
    assert_eq!(
        hash_map(&s("hash")),
        kv(&[
            ("a", "1"),
            ("aa", "10"),
            ("aaa", "100"),
            ("b", "2"),
            ("bb", "20"),
            ("bbb", "200"),
            ("c", "3"),
            ("cc", "30"),
            ("ccc", "300"),
            ("ddd", "400"),
            ("eee", "5000000000"),
        ])
    );
    assert_eq!(s("hash_zipped"), {
        RdbValue::Hash(vec![(b("a"), b("1")), (b("b"), b("2")), (b("c"), b("3"))])
    });
    assert_eq!(
        zset_map(&s("zset")),
        zs(&[
            ("a", 1.0),
            ("b", 2.0),
            ("c", 3.0),
            ("aa", 10.0),
            ("bb", 20.0),
            ("cc", 30.0),
            ("aaa", 100.0),
            ("bbb", 200.0),
            ("ccc", 300.0),
            ("aaaa", 1000.0),
            ("cccc", 123456789.0),
            ("bbbb", 5000000000.0),
        ])
    );
    assert_eq!(
        s("zset_zipped"),
        RdbValue::ZSet(vec![(b("a"), 1.0), (b("b"), 2.0), (b("c"), 3.0)])
    );
}

#[test]
fn small_redis_assets() {
    let two = RdbValue::Hash(vec![(b("f1"), b("v1")), (b("f2"), b("v2"))]);

    let (info, recs) = load_vector("redis-tests-assets/hash-zipmap.rdb");
    assert_eq!((info.version, info.checksum), (3, Checksum::Absent));
    assert!(info.resize_hints.is_empty());
    assert_eq!(recs.len(), 1);
    assert_eq!(find(&recs, 0, "hash").value, two);

    let (info, recs) = load_vector("redis-tests-assets/hash-ziplist.rdb");
    assert_eq!(info.version, 9);
    assert!(matches!(info.checksum, Checksum::Verified(_)));
    assert_eq!(info.aux_value(b"aof-preamble"), Some(&b"0"[..]));
    assert_eq!(recs.len(), 1);
    assert_eq!(find(&recs, 0, "hash").value, two);

    let (info, recs) = load_vector("redis-tests-assets/zset-ziplist.rdb");
    assert_eq!(info.version, 10);
    assert_eq!(
        find(&recs, 0, "zset").value,
        RdbValue::ZSet(vec![(b("one"), 1.0), (b("two"), 2.0)])
    );

    let (info, recs) = load_vector("redis-tests-assets/list-quicklist.rdb");
    assert_eq!(info.version, 8);
    assert_eq!(info.aux_value(b"redis-ver"), Some(&b"4.0.9"[..]));
    assert_eq!(recs.len(), 2);
    assert_eq!(find(&recs, 0, "list").value, list(&["7"]));
    assert_eq!(find(&recs, 0, "x").value, RdbValue::String(b("7")));

    let (info, recs) = load_vector("redis-tests-assets/scriptbackup.rdb");
    assert!(recs.is_empty());
    assert_eq!(info.aux_value(b"repl-stream-db"), Some(&b"0"[..]));
    assert_eq!(
        info.aux_value(b"repl-id"),
        Some(&b"349eeafec1f98f3f56277e95fc86bc48b30651a2"[..])
    );
    assert_eq!(info.aux_value(b"repl-offset"), Some(&b"0"[..]));
    assert_eq!(
        info.aux_value(b"lua"),
        Some(&b"return redis.call('set', 'foo', 'bar')"[..])
    );
}

#[test]
fn corrupt_empty_keys_are_skipped() {
    let (info, recs) = load_vector("redis-tests-assets/corrupt_empty_keys.rdb");
    assert!(recs.is_empty());
    assert_eq!(info.keys_loaded, 0);
    let names: Vec<String> = info
        .empty_keys_skipped
        .iter()
        .map(|(db, k)| {
            assert_eq!(*db, 0);
            String::from_utf8_lossy(k).into_owned()
        })
        .collect();
    assert_eq!(
        names,
        [
            "set",
            "hash",
            "list_ziplist",
            "zset",
            "zset_listpack",
            "hash_ziplist",
            "list_quicklist",
            "zset_ziplist",
            "list_quicklist_empty_ziplist"
        ]
    );
}

#[test]
fn corrupt_ziplist_is_refused() {
    let err = load_bytes(&vector("redis-tests-assets/corrupt_ziplist.rdb")).unwrap_err();
    assert!(matches!(err.kind(), RdbErrorKind::Corrupt(_)), "{err}");
    let msg = err.to_string();
    assert!(msg.starts_with("RDB file corrupt at offset "), "{msg}");
    assert!(msg.contains("ziplist integrity check failed"), "{msg}");
}

#[test]
fn rdb_preamble_aof_stops_at_the_rdb_end() {
    let bytes = vector("redis-tests-assets/rdb-preamble.aof");
    let (info, recs) = load_bytes(&bytes).unwrap();
    assert_eq!(info.aux_value(b"aof-preamble"), Some(&b"1"[..]));
    assert_eq!(find(&recs, 0, "k1").value, RdbValue::String(b("v1")));
    assert_eq!(find(&recs, 0, "k2").value, RdbValue::String(b("v2")));
    // The reader consumed exactly the RDB: the RESP tail follows.
    let tail = &bytes[info.bytes_read as usize..];
    assert!(
        tail.starts_with(b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"),
        "{tail:?}"
    );
    // Reading through a shared reader leaves it positioned at the tail.
    let mut cursor = std::io::Cursor::new(&bytes[..]);
    redraft_persist::load(&mut cursor, |_| Ok(())).unwrap();
    assert_eq!(cursor.position(), info.bytes_read);
}

// ---------------------------------------------------------------------------
// generated/
// ---------------------------------------------------------------------------

fn check_minimal(recs: &[Record], with_stream: bool) {
    assert_eq!(recs.len(), if with_stream { 7 } else { 6 });
    let r = find(recs, 0, "s_exp");
    assert_eq!(r.value, RdbValue::String(b("v")));
    assert_eq!(r.expire_ms, Some(4_102_444_800_000));
    assert!(recs
        .iter()
        .filter(|r| r.key != b"s_exp")
        .all(|r| r.expire_ms.is_none()));
    assert_eq!(find(recs, 0, "s").value, RdbValue::String(b("hello")));
    assert_eq!(find(recs, 0, "l").value, list(&["a", "1", "c"]));
    assert_eq!(
        find(recs, 0, "set").value,
        RdbValue::Set(vec![b("x"), b("2"), b("y")])
    );
    assert_eq!(
        find(recs, 0, "h").value,
        RdbValue::Hash(vec![(b("f1"), b("v1")), (b("f2"), b("v2"))])
    );
    assert_eq!(
        find(recs, 0, "z").value,
        RdbValue::ZSet(vec![(b("m1"), 1.5), (b("m2"), f64::NEG_INFINITY)])
    );
    if with_stream {
        let RdbValue::Stream(s) = &find(recs, 0, "st").value else {
            panic!("st is not a stream")
        };
        let ids: Vec<String> = s.entries.iter().map(|e| e.id.to_string()).collect();
        assert_eq!(ids, ["1700000000000-0", "1700000000000-1"]);
        assert_eq!(s.entries[0].fields, vec![(b("f"), b("v"))]);
        assert_eq!(s.entries[1].fields, vec![(b("f"), b("w"))]);
        assert_eq!(s.last_id, StreamId::new(1_700_000_000_000, 1));
        assert_eq!(s.groups.len(), 1);
        let g = &s.groups[0];
        assert_eq!(g.name, b("g"));
        assert_eq!(g.entries_read, Some(1));
        assert_eq!(g.pending.len(), 1);
        assert_eq!(g.consumers.len(), 1);
        assert_eq!(g.consumers[0].name, b("alice"));
        assert_eq!(g.consumers[0].pending, vec![g.pending[0].id]);
    }
}

#[test]
fn generated_minimal_variants() {
    let (info, recs) = load_vector("generated/minimal-v10.rdb");
    assert!(matches!(info.checksum, Checksum::Verified(_)));
    assert_eq!(info.aux_value(b"x-raft-index"), Some(&b"12345"[..]));
    assert_eq!(info.resize_hints, vec![(0, 7, 1)]);
    assert_eq!(info.keys_with_expire, 1);
    check_minimal(&recs, true);

    let (info, recs2) = load_vector("generated/minimal-v10-checksum-zero.rdb");
    assert_eq!(info.checksum, Checksum::Disabled);
    assert_eq!(recs2, recs);

    let (info, recs3) = load_vector("generated/minimal-v11-rejected-by-7.0.rdb");
    assert_eq!(info.version, 11);
    assert_eq!(recs3, recs);

    let (info, recs4) = load_vector("generated/minimal-v9-no-stream.rdb");
    assert_eq!(info.version, 9);
    check_minimal(&recs4, false);

    let err = load_bytes(&vector("generated/minimal-v10-bad-checksum.rdb")).unwrap_err();
    assert!(
        matches!(err.kind(), RdbErrorKind::ChecksumMismatch { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("RDB CRC error"), "{err}");
    // The forensic option loads it anyway.
    let opts = redraft_persist::LoadOptions {
        verify_checksum: false,
        ..Default::default()
    };
    let mut n = 0;
    let info = redraft_persist::load_with(
        &vector("generated/minimal-v10-bad-checksum.rdb")[..],
        &opts,
        |_| {
            n += 1;
            Ok(())
        },
    )
    .unwrap();
    assert!(matches!(info.checksum, Checksum::NotChecked(_)));
    assert_eq!(n, 7);
}

#[test]
fn generated_redis_7_0_15_save() {
    let (info, recs) = load_vector("generated/redis-7.0.15-save.rdb");
    assert_eq!(info.version, 10);
    assert_eq!(recs.len(), 11);
    let v = |k: &str| find(&recs, 0, k).value.clone();
    assert_eq!(v("str"), RdbValue::String(b("hello")));
    assert_eq!(v("num"), RdbValue::String(b("12345")));
    assert_eq!(v("big"), RdbValue::String(vec![b'a'; 100]));
    assert_eq!(v("lst"), list(&["a", "b", "1", "2", "300", "-5", "70000"]));
    assert_eq!(sorted_strs(&v("iset")), ["1", "2", "3"]);
    assert_eq!(sorted_strs(&v("sset")), ["a", "b", "c"]);
    assert_eq!(v("zs"), RdbValue::ZSet(vec![(b("a"), 1.0), (b("b"), 2.5)]));
    assert_eq!(hash_map(&v("hs")), kv(&[("f", "v"), ("n", "1")]));
    let ttl = find(&recs, 0, "ttlkey");
    assert_eq!(ttl.value, RdbValue::String(b("v")));
    assert!(ttl.expire_ms.is_some());
    assert_eq!(find(&recs, 3, "indb3").value, RdbValue::String(b("yes")));
    let RdbValue::Stream(s) = v("x") else {
        panic!()
    };
    assert_eq!(s.entries.len(), 1);
    assert_eq!(s.entries[0].id, StreamId::new(1, 1));
    assert_eq!(s.entries[0].fields, vec![(b("a"), b("1"))]);
    assert_eq!(s.entries_added, 1);
    let g: Vec<_> = s
        .groups
        .iter()
        .map(|g| {
            (
                String::from_utf8_lossy(&g.name).into_owned(),
                g.entries_read,
            )
        })
        .collect();
    assert_eq!(g, [("g".to_string(), None), ("g2".to_string(), Some(0))]);
}

#[test]
fn generated_fullsync_payload() {
    let (info, recs) = load_vector("generated/redis-7.0.15-fullsync-payload.rdb");
    assert_eq!(info.aux_value(b"repl-stream-db"), Some(&b"1"[..]));
    assert_eq!(info.aux_value(b"repl-id").map(<[u8]>::len), Some(40));
    assert!(info.aux_value(b"repl-offset").is_some());
    assert_eq!(recs.len(), 3);
    assert_eq!(find(&recs, 1, "ctr").value, RdbValue::String(b("2")));
}

#[test]
fn versions_outside_range_are_refused() {
    let mut bytes = vector("generated/minimal-v10.rdb");
    for (v, ok) in [
        ("0000", false),
        ("0001", true),
        ("0012", true),
        ("0013", false),
        ("9999", false),
        ("00x1", false),
    ] {
        bytes[5..9].copy_from_slice(v.as_bytes());
        let res = redraft_persist::load_with(
            &bytes[..],
            &redraft_persist::LoadOptions {
                verify_checksum: false,
                ..Default::default()
            },
            |_| Ok(()),
        );
        assert_eq!(res.is_ok(), ok, "version {v}: {res:?}");
    }
    let err = load_bytes(b"REDIX0010\xff").unwrap_err();
    assert!(err.to_string().contains("not an RDB file"), "{err}");
    let err = load_bytes(b"REDIS0013\xff").unwrap_err();
    assert!(
        matches!(err.kind(), RdbErrorKind::UnsupportedVersion(13)),
        "{err}"
    );
}

#[test]
fn callback_can_stop_the_load() {
    let err = redraft_persist::load(&vector("generated/minimal-v10.rdb")[..], |r| {
        if r.key == b"l" {
            Err("duplicate key l".into())
        } else {
            Ok(())
        }
    })
    .unwrap_err();
    assert!(matches!(err.kind(), RdbErrorKind::Rejected(_)));
    assert!(err.to_string().contains("duplicate key l"), "{err}");
}

// ---------------------------------------------------------------------------
// Writer: round trips
// ---------------------------------------------------------------------------

fn round_trip(records: &[Record], functions: &[Vec<u8>], opts: &WriterOptions) -> Vec<u8> {
    let bytes = write_rdb(Vec::new(), opts, functions, records).unwrap();
    let mut back = Vec::new();
    let info = redraft_persist::load(&bytes[..], |r| {
        back.push(r);
        Ok(())
    })
    .unwrap();
    assert_eq!(info.version, 10);
    assert_eq!(info.functions, functions);
    // write_rdb groups by db (stable), so compare in that order.
    let mut want: Vec<Record> = records.to_vec();
    want.sort_by_key(|r| r.db);
    assert_eq!(back, want);
    bytes
}

#[test]
fn every_vector_round_trips_through_the_writer() {
    for v in LOADABLE {
        let (info, recs) = load_vector(v);
        for compression in [false, true] {
            for checksum in [false, true] {
                let opts = WriterOptions {
                    compression,
                    checksum,
                    ctime: Some(1_700_000_000),
                    ..WriterOptions::default()
                };
                let bytes = round_trip(&recs, &info.functions, &opts);
                let (info2, _) = load_bytes(&bytes).unwrap();
                assert_eq!(
                    matches!(info2.checksum, Checksum::Verified(_)),
                    checksum,
                    "{v}"
                );
                assert_eq!(info2.aux_value(b"redis-ver"), Some(&b"7.2.4"[..]));
                assert_eq!(info2.aux_value(b"aof-base"), Some(&b"0"[..]));
                assert_eq!(info2.aux_value(b"ctime"), Some(&b"1700000000"[..]));
            }
        }
    }
}

#[test]
fn writer_is_deterministic_and_keeps_order() {
    let recs = vec![
        Record {
            db: 2,
            key: b("h"),
            value: RdbValue::Hash(vec![(b("z"), b("1")), (b("a"), b("2")), (b("m"), b("3"))]),
            expire_ms: Some(4_102_444_800_000),
            idle: Some(42),
            freq: Some(7),
        },
        Record {
            db: 0,
            key: b("s"),
            value: RdbValue::Set(vec![b("c"), b("a"), b("b")]),
            expire_ms: None,
            idle: None,
            freq: None,
        },
        Record {
            db: 2,
            key: b("z"),
            value: RdbValue::ZSet(vec![
                (b("x"), 3.0),
                (b("y"), -0.0),
                (b("w"), f64::INFINITY),
                (b("v"), 1e-300),
            ]),
            expire_ms: None,
            idle: None,
            freq: None,
        },
    ];
    let opts = WriterOptions {
        ctime: Some(1),
        aof_base: true,
        extra_aux: vec![(b("x-raft-index"), b("99"))],
        ..WriterOptions::default()
    };
    let a = round_trip(&recs, &[b("#!lua name=lib\nreturn 1")], &opts);
    let b2 = round_trip(&recs, &[b("#!lua name=lib\nreturn 1")], &opts);
    assert_eq!(a, b2);
    let (info, _) = load_bytes(&a).unwrap();
    assert_eq!(info.aux_value(b"aof-base"), Some(&b"1"[..]));
    assert_eq!(info.aux_value(b"x-raft-index"), Some(&b"99"[..]));
    assert_eq!(info.resize_hints, vec![(0, 1, 0), (2, 2, 1)]);
}

#[test]
fn writer_refuses_unloadable_values() {
    let mut w = redraft_persist::RdbWriter::new(Vec::new(), &WriterOptions::default()).unwrap();
    assert!(w.write_key(b"k", &RdbValue::List(vec![]), None).is_err());
    assert!(w
        .write_key(b"k", &RdbValue::ZSet(vec![(b("m"), f64::NAN)]), None)
        .is_err());
    // An empty stream is a valid value.
    w.write_key(
        b"st",
        &RdbValue::Stream(redraft_persist::StreamValue::default()),
        None,
    )
    .unwrap();
    let bytes = w.finish().unwrap();
    let (_, recs) = load_bytes(&bytes).unwrap();
    assert_eq!(recs.len(), 1);
}

// ---------------------------------------------------------------------------
// DUMP / RESTORE
// ---------------------------------------------------------------------------

/// DUMP output of redis-server 7.0.15 (Debian 5:7.0.15-1~deb12u*).
const REDIS_DUMPS: &[(&str, &str)] = &[
    ("k", "000568656c6c6f0a006372df766534200a"),
    ("n", "00c139300a009d94ea2793fc08b9"),
    ("big", "00c3094064016161e057000161610a00e8a3b507b06df271"),
    (
        "l",
        "1201021c1c000000070081610281620201010201c12c02dffb02f270110104ff0a00de0ee66e09ff6fca",
    ),
    ("iset", "0b0e02000000030000000100020003000a00a5025ce26d6e4d1b"),
    ("sset", "02030163016201610a005ea67e5623750bab"),
    (
        "zs",
        "1125250000000800816302842d696e6605816102010181620283322e350481640283696e6604ff0a0047fa9845b0a76805",
    ),
    (
        "hs",
        "1012120000000400816602817602816e020101ff0a00fce408f17922e016",
    ),
    (
        "x",
        "13011000000000000000010000000000000001c32a30103000000013000201000101018161020001400a400c00042005400700024016200406620203010801ff020102010100000202016701010101000000000000000100000000000000010b4bb400a2010000010105616c6963650b4bb400a20100000100000000000000010000000000000001026732010281ffffffffffffffff00000a0075c3df54f70e6129",
    ),
];

#[test]
fn restores_real_redis_dumps() {
    let get = |k: &str| {
        let h = REDIS_DUMPS.iter().find(|(n, _)| *n == k).unwrap().1;
        restore_payload(&hex(h)).unwrap_or_else(|e| panic!("{k}: {e}"))
    };
    assert_eq!(get("k"), RdbValue::String(b("hello")));
    assert_eq!(get("n"), RdbValue::String(b("12345")));
    assert_eq!(get("big"), RdbValue::String(vec![b'a'; 100]));
    assert_eq!(get("l"), list(&["a", "b", "1", "2", "300", "-5", "70000"]));
    assert_eq!(get("iset"), RdbValue::Set(vec![b("1"), b("2"), b("3")]));
    assert_eq!(get("sset"), RdbValue::Set(vec![b("c"), b("b"), b("a")]));
    assert_eq!(
        get("zs"),
        RdbValue::ZSet(vec![
            (b("c"), f64::NEG_INFINITY),
            (b("a"), 1.0),
            (b("b"), 2.5),
            (b("d"), f64::INFINITY)
        ])
    );
    assert_eq!(
        get("hs"),
        RdbValue::Hash(vec![(b("f"), b("v")), (b("n"), b("1"))])
    );
    let RdbValue::Stream(s) = get("x") else {
        panic!()
    };
    assert_eq!(s.entries.len(), 2);
    assert_eq!(s.entries[1].id, StreamId::new(1, 2));
    assert_eq!(
        s.entries[1].fields,
        vec![(b("a"), b("2")), (b("b"), b("3"))]
    );
    assert_eq!(s.entries_added, 2);
    assert_eq!(s.groups.len(), 2);
    assert_eq!(s.groups[0].name, b("g"));
    assert_eq!(s.groups[0].last_id, StreamId::new(1, 1));
    assert_eq!(s.groups[0].entries_read, Some(1));
    assert_eq!(s.groups[0].pending.len(), 1);
    assert_eq!(s.groups[0].pending[0].delivery_count, 1);
    assert_eq!(s.groups[0].consumers[0].name, b("alice"));
    assert_eq!(s.groups[0].consumers[0].pending, vec![StreamId::new(1, 1)]);
    assert_eq!(s.groups[1].name, b("g2"));
    assert_eq!(s.groups[1].entries_read, None);

    // Every one survives our DUMP and back.
    for (k, h) in REDIS_DUMPS {
        let v = restore_payload(&hex(h)).unwrap();
        assert_eq!(restore_payload(&dump_payload(&v)).unwrap(), v, "{k}");
        let c = redraft_persist::rdb::try_dump_payload(&v, true).unwrap();
        assert_eq!(restore_payload(&c).unwrap(), v, "{k} compressed");
    }
}

#[test]
fn restores_reference_dumps() {
    // Reference section 2, redis 7.0.15 DUMP outputs.
    let cases: &[(&str, RdbValue)] = &[
        (
            "12 01 02 0c0c000000020081610201 01ff 0a00 94962b23ac17aa85",
            list(&["a", "1"]),
        ),
        (
            "10 0d0d00000002008166028176 02ff 0a00 20f13d442354089d",
            RdbValue::Hash(vec![(b("f"), b("v"))]),
        ),
        (
            "11 0f0f0000000200816d0283312e3504ff 0a00 49d9876078254e8a",
            RdbValue::ZSet(vec![(b("m"), 1.5)]),
        ),
        (
            "0b 0c020000000200000007000800 0a00 ba34be2b62e228c9",
            RdbValue::Set(vec![b("7"), b("8")]),
        ),
        (
            "02 01 0161 0a00 6296e97e44d21a6d",
            RdbValue::Set(vec![b("a")]),
        ),
    ];
    for (h, want) in cases {
        assert_eq!(&restore_payload(&hex(h)).unwrap(), want, "{h}");
    }
}

#[test]
fn restores_legacy_stream_dumps_from_redis_tests() {
    // tests/unit/type/stream-cgroups.tcl "Loading from legacy (Redis <= v6.2.x,
    // rdb_ver < 10) persistence": a type-15 stream DUMPed by Redis 5.
    let v5 = hex(concat!(
        "0f011000000000000000010000000000000000c3404a4057165700000023000201040101018464617461050001030100",
        "20010381610204200a0001400a0062600a0002400a0063600a4022018164200a4039200a0065600a0005400a0066200a",
        "00ff02060002026731050004000000000000000100000000000000003ef783437a010000010000000000000002000000",
        "00000000003ef783437a01000001000000000000000400000000000000003ef783437a01000001000000000000000500",
        "000000000000003ef783437a0100000101036331313ef783437a01000004000000000000000100000000000000000000",
        "000000000002000000000000000000000000000000040000000000000000000000000000000500000000000000000267",
        "320000000009003d52ef6867521dfa",
    ));
    let RdbValue::Stream(s) = restore_payload(&v5).unwrap() else {
        panic!()
    };
    let ids: Vec<String> = s.entries.iter().map(|e| e.id.to_string()).collect();
    assert_eq!(ids, ["5-0", "6-0"]);
    assert_eq!(s.entries[0].fields, vec![(b("data"), b("e"))]);
    assert_eq!(s.max_deleted_id, StreamId::ZERO);
    assert_eq!(s.entries_added, 2);
    assert_eq!(s.first_id, StreamId::new(5, 0));
    assert_eq!(s.groups.len(), 2);
    assert_eq!(s.groups[0].entries_read, Some(1));
    assert_eq!(s.groups[1].entries_read, Some(0));
    assert_eq!(s.groups[0].pending.len(), 4);
    assert_eq!(s.groups[0].consumers[0].pending.len(), 4);
    assert_eq!(
        s.groups[0].consumers[0].active_time_ms,
        s.groups[0].consumers[0].seen_time_ms
    );

    // "Loading from legacy (Redis <= v7.0.x, rdb_ver < 11)": type 19, payload version 11.
    let v7 = hex(concat!(
        "130110000000000000000100000000000000011d1d0000000a0001010001010181660200010201000100018176020401",
        "ff01010101010000010101670101010100000000000000010000000000000001f55a71c784010000010105416c696365",
        "f55a71c78401000001000000000000000100000000000000010b00a7a914a527ff9b9b",
    ));
    let RdbValue::Stream(s) = restore_payload(&v7).unwrap() else {
        panic!()
    };
    assert_eq!(s.entries.len(), 1);
    let c = &s.groups[0].consumers[0];
    assert_eq!(c.name, b("Alice"));
    assert_eq!(c.seen_time_ms, c.active_time_ms);
}

#[test]
fn restore_checks_footer() {
    let good = hex("000568656c6c6f0a006372df766534200a");
    assert!(restore_payload(&good).is_ok());
    let mut bad = good.clone();
    *bad.last_mut().unwrap() ^= 1;
    let err = restore_payload(&bad).unwrap_err();
    assert_eq!(
        err.to_string(),
        "DUMP payload version or checksum are wrong"
    );
    // Zero CRC is not "disabled" for DUMP.
    let mut zero = good.clone();
    let n = zero.len();
    zero[n - 8..].fill(0);
    assert!(restore_payload(&zero).is_err());
    // Version 13 is refused even with a valid CRC; 11 and 12 are accepted.
    for (ver, ok) in [(9u16, true), (11, true), (12, true), (13, false)] {
        let mut p = good[..good.len() - 10].to_vec();
        p.extend_from_slice(&ver.to_le_bytes());
        let crc = redraft_persist::rdb::crc64::crc64(0, &p);
        p.extend_from_slice(&crc.to_le_bytes());
        assert_eq!(restore_payload(&p).is_ok(), ok, "version {ver}");
    }
    assert!(restore_payload(&[]).is_err());
    assert!(restore_payload(&good[..9]).is_err());
}

// ---------------------------------------------------------------------------
// Corruption: never panic
// ---------------------------------------------------------------------------

fn all_vectors() -> Vec<(&'static str, Vec<u8>)> {
    let mut v: Vec<_> = LOADABLE.iter().map(|p| (*p, vector(p))).collect();
    v.push((
        "redis-tests-assets/corrupt_ziplist.rdb",
        vector("redis-tests-assets/corrupt_ziplist.rdb"),
    ));
    v
}

#[test]
fn truncated_files_are_errors() {
    for (name, bytes) in all_vectors() {
        // Where the RDB ends (the AOF preamble has a RESP tail after it).
        let end = match load_bytes(&bytes) {
            Ok((info, _)) => info.bytes_read as usize,
            Err(_) => bytes.len(),
        };
        // Every offset of small files; for big ones the first and last 4 KiB
        // and a spread in between (each load reads up to the cut: quadratic).
        let mut rng = Rng(end as u64 | 1);
        let cuts: Vec<usize> = if end <= 8192 {
            (0..end).collect()
        } else {
            (0..4096)
                .chain(end - 4096..end)
                .chain((0..500).map(|_| rng.below(end)))
                .collect()
        };
        for cut in cuts {
            let res = load_bytes(&bytes[..cut]);
            assert!(res.is_err(), "{name} cut at {cut} loaded");
        }
    }
}

#[test]
fn flipped_bytes_never_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let no_crc = redraft_persist::LoadOptions {
        verify_checksum: false,
        ..Default::default()
    };
    for (name, bytes) in all_vectors() {
        let rounds = if bytes.len() > 10_000 { 300 } else { 1500 };
        for _ in 0..rounds {
            let mut b = bytes.clone();
            for _ in 0..1 + rng.below(3) {
                let at = 9 + rng.below(b.len() - 9);
                b[at] = match rng.below(4) {
                    0 => b[at] ^ (1 << rng.below(8)),
                    1 => 0xff,
                    2 => 0x00,
                    _ => rng.next() as u8,
                };
            }
            // Without the CRC check, so damaged content reaches every decoder.
            let _ = redraft_persist::load_with(&b[..], &no_crc, |_| Ok(()));
            let _ = load_bytes(&b);
        }
        let _ = name;
    }
}

#[test]
fn damaged_dump_payloads_never_panic() {
    let mut payloads: Vec<Vec<u8>> = REDIS_DUMPS.iter().map(|(_, h)| hex(h)).collect();
    // Plus our own payloads of every vector's values.
    for v in ["redis-7.0.15/dump.rdb", "generated/minimal-v10.rdb"] {
        let (_, recs) = load_vector(v);
        payloads.extend(recs.iter().take(20).map(|r| dump_payload(&r.value)));
    }
    let mut rng = Rng(42);
    for p in payloads {
        let body_len = p.len() - 10;
        let cuts: Vec<usize> = if body_len <= 4096 {
            (0..body_len).collect()
        } else {
            (0..1024)
                .chain(body_len - 1024..body_len)
                .chain((0..200).map(|_| rng.below(body_len)))
                .collect()
        };
        for cut in cuts {
            // Truncated bodies with a valid footer.
            let mut t = p[..cut].to_vec();
            t.extend_from_slice(&10u16.to_le_bytes());
            let crc = redraft_persist::rdb::crc64::crc64(0, &t);
            t.extend_from_slice(&crc.to_le_bytes());
            let _ = restore_payload(&t);
        }
        for _ in 0..300 {
            let mut t = p[..body_len].to_vec();
            let at = rng.below(body_len);
            t[at] ^= 1 << rng.below(8);
            t.extend_from_slice(&10u16.to_le_bytes());
            let crc = redraft_persist::rdb::crc64::crc64(0, &t);
            t.extend_from_slice(&crc.to_le_bytes());
            let _ = restore_payload(&t);
        }
    }
}
