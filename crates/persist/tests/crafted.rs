//! Hand-built files and payloads for the opcodes and types no vector has.

mod common;

use common::*;
use redraft_persist::rdb::crc64::crc64;
use redraft_persist::rdb::encodings::ListpackBuilder;
use redraft_persist::rdb::writer::stream_v3_payload_for_tests;
use redraft_persist::rdb::RdbErrorKind;
use redraft_persist::{
    restore_payload, RdbValue, StreamConsumer, StreamEntry, StreamGroup, StreamId,
    StreamPendingEntry, StreamValue,
};

/// `REDIS<version>` + body + EOF + CRC (when version >= 5).
fn rdb(version: u32, body: &[u8]) -> Vec<u8> {
    let mut f = format!("REDIS{version:04}").into_bytes();
    f.extend_from_slice(body);
    f.push(0xff);
    if version >= 5 {
        let crc = crc64(0, &f);
        f.extend_from_slice(&crc.to_le_bytes());
    }
    f
}

/// A short raw RDB string.
fn s(x: &[u8]) -> Vec<u8> {
    assert!(x.len() < 64);
    let mut v = vec![x.len() as u8];
    v.extend_from_slice(x);
    v
}

/// A DUMP payload of a raw object (type byte included).
fn payload(obj: &[u8]) -> Vec<u8> {
    let mut p = obj.to_vec();
    p.extend_from_slice(&10u16.to_le_bytes());
    let crc = crc64(0, &p);
    p.extend_from_slice(&crc.to_le_bytes());
    p
}

fn module_id(name: &str, encver: u64) -> u64 {
    let cset = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut id = 0u64;
    for c in name.bytes() {
        id = (id << 6) | cset.iter().position(|&x| x == c).unwrap() as u64;
    }
    (id << 10) | encver
}

fn long_len(n: u64) -> Vec<u8> {
    let mut v = vec![0x81];
    v.extend_from_slice(&n.to_be_bytes());
    v
}

fn corrupt_msg(bytes: &[u8]) -> String {
    let err = load_bytes(bytes).unwrap_err();
    assert!(
        matches!(err.kind(), RdbErrorKind::Corrupt(_)),
        "expected corrupt, got {err}"
    );
    err.to_string()
}

#[test]
fn expiretime_seconds_idle_and_freq() {
    let mut body = vec![0xfe, 0x05, 0xfd];
    body.extend_from_slice(&2_000_000_000i32.to_le_bytes());
    body.push(0);
    body.extend(s(b"k"));
    body.extend(s(b"v"));
    body.extend([0xf8, 0x40, 0x64, 0xf9, 0x05, 0x00]);
    body.extend(s(b"k2"));
    body.extend(s(b"v2"));
    let (info, recs) = load_bytes(&rdb(9, &body)).unwrap();
    assert_eq!(info.keys_loaded, 2);
    assert_eq!(recs[0].db, 5);
    assert_eq!(recs[0].expire_ms, Some(2_000_000_000_000));
    assert_eq!((recs[0].idle, recs[0].freq), (None, None));
    assert_eq!(recs[1].expire_ms, None, "prefixes apply to one key only");
    assert_eq!((recs[1].idle, recs[1].freq), (Some(100), Some(5)));
}

#[test]
fn module_aux_is_skipped_with_a_warning() {
    let mut body = vec![0xf7];
    body.extend(long_len(module_id("ReJSON-RL", 3)));
    body.extend([0x02, 0x01]); // when_opcode UINT, when 1
    body.extend([0x02, 0x05]); // UINT 5
    body.push(0x05);
    body.extend(s(b"abc")); // STRING
    body.push(0x04);
    body.extend(1.5f64.to_le_bytes()); // DOUBLE
    body.push(0x03);
    body.extend(2.5f32.to_le_bytes()); // FLOAT
    body.extend([0x01, 0x07]); // SINT
    body.push(0x00); // EOF
    body.extend([0xfe, 0x00, 0x00]);
    body.extend(s(b"k"));
    body.extend(s(b"v"));
    let (info, recs) = load_bytes(&rdb(10, &body)).unwrap();
    assert_eq!(recs.len(), 1);
    assert_eq!(info.warnings.len(), 1);
    assert!(
        info.warnings[0].contains("'ReJSON-RL'"),
        "{}",
        info.warnings[0]
    );

    // A bad when_opcode and an unknown module opcode are corrupt.
    let mut bad = vec![0xf7];
    bad.extend(long_len(module_id("ReJSON-RL", 3)));
    bad.extend([0x03, 0x01, 0x00]);
    corrupt_msg(&rdb(10, &bad));
    let mut bad = vec![0xf7];
    bad.extend(long_len(module_id("ReJSON-RL", 3)));
    bad.extend([0x02, 0x01, 0x09, 0x00]);
    assert!(corrupt_msg(&rdb(10, &bad)).contains("unknown module opcode 9"));
}

#[test]
fn module_keys_are_refused_by_name() {
    let mut body = vec![0x07];
    body.extend(s(b"doc"));
    body.extend(long_len(module_id("ReJSON-RL", 3)));
    let err = load_bytes(&rdb(10, &body)).unwrap_err();
    assert!(matches!(err.kind(), RdbErrorKind::Unsupported(_)));
    assert!(err.to_string().contains("module type 'ReJSON-RL'"), "{err}");
}

#[test]
fn functions() {
    let mut body = vec![0xf5];
    body.extend(s(b"#!lua name=x\nreturn 1"));
    let (info, _) = load_bytes(&rdb(10, &body)).unwrap();
    assert_eq!(info.functions, vec![b("#!lua name=x\nreturn 1")]);

    let mut body = vec![0xf6];
    body.extend(s(b"name"));
    let err = load_bytes(&rdb(10, &body)).unwrap_err();
    assert!(matches!(err.kind(), RdbErrorKind::Unsupported(_)));
    assert!(err.to_string().contains("pre-GA function format"), "{err}");
}

#[test]
fn version_12_slot_info() {
    let mut body = vec![0xfe, 0x00, 0xf4, 0x01, 0x02, 0x03, 0x00];
    body.extend(s(b"k"));
    body.extend(s(b"v"));
    let (info, recs) = load_bytes(&rdb(12, &body)).unwrap();
    assert_eq!(info.version, 12);
    assert_eq!(recs.len(), 1);
}

#[test]
fn unknown_and_unsupported_types() {
    for t in 22u8..=25 {
        let mut body = vec![t];
        body.extend(s(b"h"));
        let err = load_bytes(&rdb(12, &body)).unwrap_err();
        assert!(matches!(err.kind(), RdbErrorKind::Unsupported(_)));
        assert!(err.to_string().contains("field expiration"), "{err}");
        assert!(
            err.to_string().contains(&format!("object type {t}")),
            "{err}"
        );
    }
    let mut body = vec![0xfe, 0x00, 77];
    body.extend(s(b"k"));
    let msg = corrupt_msg(&rdb(10, &body));
    assert_eq!(msg, "RDB file corrupt at offset 11: unknown object type 77");
    for t in [8u8, 26, 100, 0xf3] {
        let mut body = vec![t];
        body.extend(s(b"k"));
        corrupt_msg(&rdb(10, &body));
    }
}

#[test]
fn bad_length_encoding() {
    let body = [0x00, 0x82, 0x00];
    assert!(corrupt_msg(&rdb(10, &body)).contains("unknown length encoding 0x82"));
    let body = [0x00, 0xc4];
    assert!(corrupt_msg(&rdb(10, &body)).contains("unknown string encoding 4"));
    let body = [0xfe, 0xc0, 0x01];
    assert!(corrupt_msg(&rdb(10, &body)).contains("where a length was expected"));
}

#[test]
fn set_listpack_type_20() {
    let mut lp = ListpackBuilder::new();
    for m in ["a", "b", "1", "-7"] {
        lp.push(m.as_bytes());
    }
    let lp = lp.finish().unwrap();
    let mut obj = vec![20u8, lp.len() as u8];
    obj.extend(&lp);
    assert_eq!(
        restore_payload(&payload(&obj)).unwrap(),
        RdbValue::Set(vec![b("a"), b("b"), b("1"), b("-7")])
    );
    // A duplicate member is corrupt.
    let mut lp = ListpackBuilder::new();
    lp.push(b"a");
    lp.push(b"a");
    let lp = lp.finish().unwrap();
    let mut obj = vec![20u8, lp.len() as u8];
    obj.extend(&lp);
    let err = restore_payload(&payload(&obj)).unwrap_err();
    assert!(err.to_string().contains("duplicate set member"), "{err}");
}

#[test]
fn duplicates_and_nan_are_corrupt() {
    // SET with a repeated member.
    let mut obj = vec![2u8, 2];
    obj.extend(s(b"x"));
    obj.extend(s(b"x"));
    assert!(restore_payload(&payload(&obj)).is_err());
    // HASH with a repeated field.
    let mut obj = vec![4u8, 2];
    for _ in 0..2 {
        obj.extend(s(b"f"));
        obj.extend(s(b"v"));
    }
    assert!(restore_payload(&payload(&obj)).is_err());
    // ZSET_2 with a NaN score.
    let mut obj = vec![5u8, 1];
    obj.extend(s(b"m"));
    obj.extend(f64::NAN.to_le_bytes());
    let err = restore_payload(&payload(&obj)).unwrap_err();
    assert!(err.to_string().contains("NaN"), "{err}");
    // ZSET (type 3) with the NaN marker, and with text scores.
    let mut obj = vec![3u8, 1];
    obj.extend(s(b"m"));
    obj.push(253);
    assert!(restore_payload(&payload(&obj)).is_err());
    let mut obj = vec![3u8, 3];
    obj.extend(s(b"a"));
    obj.push(254);
    obj.extend(s(b"b"));
    obj.push(255);
    obj.extend(s(b"c"));
    obj.extend(s(b"-1.25e2"));
    assert_eq!(
        restore_payload(&payload(&obj)).unwrap(),
        RdbValue::ZSet(vec![
            (b("a"), f64::INFINITY),
            (b("b"), f64::NEG_INFINITY),
            (b("c"), -125.0)
        ])
    );
    // Hash listpack with an odd number of elements.
    let mut lp = ListpackBuilder::new();
    for e in ["f", "v", "g"] {
        lp.push(e.as_bytes());
    }
    let lp = lp.finish().unwrap();
    let mut obj = vec![16u8, lp.len() as u8];
    obj.extend(&lp);
    assert!(restore_payload(&payload(&obj)).is_err());
}

#[test]
fn quicklist_2_nodes() {
    let mut lp = ListpackBuilder::new();
    lp.push(b"a");
    lp.push(b"2");
    let lp = lp.finish().unwrap();
    let empty = ListpackBuilder::new().finish().unwrap();
    // PLAIN "big", PACKED [a, 2], PACKED [] (skipped).
    let mut obj = vec![18u8, 3, 1];
    obj.extend(s(b"big"));
    obj.push(2);
    obj.push(lp.len() as u8);
    obj.extend(&lp);
    obj.push(2);
    obj.push(empty.len() as u8);
    obj.extend(&empty);
    assert_eq!(
        restore_payload(&payload(&obj)).unwrap(),
        RdbValue::List(vec![b("big"), b("a"), b("2")])
    );
    // Container 3 is corrupt; so is an empty node.
    let mut obj = vec![18u8, 1, 3];
    obj.extend(s(b"x"));
    assert!(restore_payload(&payload(&obj)).is_err());
    let obj = vec![18u8, 1, 1, 0];
    assert!(restore_payload(&payload(&obj)).is_err());
    // Only empty nodes: an empty key.
    let mut obj = vec![18u8, 1, 2, empty.len() as u8];
    obj.extend(&empty);
    assert!(restore_payload(&payload(&obj)).is_err());
    let mut body = vec![18u8];
    body.extend(s(b"k"));
    body.extend(&obj[1..]);
    let (info, recs) = load_bytes(&rdb(10, &body)).unwrap();
    assert!(recs.is_empty());
    assert_eq!(info.empty_keys_skipped, vec![(0, b("k"))]);
}

fn sample_stream() -> StreamValue {
    StreamValue {
        entries: vec![
            StreamEntry {
                id: StreamId::new(10, 0),
                fields: vec![(b("f"), b("1"))],
            },
            StreamEntry {
                id: StreamId::new(10, 5),
                fields: vec![(b("f"), b("2")), (b("g"), b("x"))],
            },
            StreamEntry {
                id: StreamId::new(20, 0),
                fields: vec![(b("f"), b("3"))],
            },
        ],
        last_id: StreamId::new(20, 0),
        first_id: StreamId::new(10, 0),
        max_deleted_id: StreamId::new(9, 9),
        entries_added: 7,
        groups: vec![StreamGroup {
            name: b("grp"),
            last_id: StreamId::new(10, 5),
            entries_read: Some(6),
            pending: vec![
                StreamPendingEntry {
                    id: StreamId::new(10, 0),
                    delivery_time_ms: 1_700_000_000_123,
                    delivery_count: 2,
                },
                StreamPendingEntry {
                    id: StreamId::new(10, 5),
                    delivery_time_ms: 1_700_000_000_456,
                    delivery_count: 1,
                },
            ],
            consumers: vec![
                StreamConsumer {
                    name: b("c1"),
                    seen_time_ms: 1_700_000_001_000,
                    active_time_ms: 1_700_000_000_500,
                    pending: vec![StreamId::new(10, 0), StreamId::new(10, 5)],
                },
                StreamConsumer {
                    name: b("idle"),
                    seen_time_ms: 5,
                    active_time_ms: 4,
                    pending: vec![],
                },
            ],
        }],
    }
}

#[test]
fn stream_type_21_keeps_active_time() {
    let s = sample_stream();
    let v = restore_payload(&stream_v3_payload_for_tests(&s)).unwrap();
    assert_eq!(v, RdbValue::Stream(s.clone()));
    // Type 19 (what we write) cannot store it: active = seen after a round trip.
    let back =
        restore_payload(&redraft_persist::dump_payload(&RdbValue::Stream(s.clone()))).unwrap();
    let RdbValue::Stream(b19) = back else {
        panic!()
    };
    assert_eq!(b19.entries, s.entries);
    assert_eq!(b19.groups[0].pending, s.groups[0].pending);
    for c in &b19.groups[0].consumers {
        assert_eq!(c.active_time_ms, c.seen_time_ms);
    }
}

#[test]
fn stream_integrity() {
    // A consumer owning an ID missing from the group PEL.
    let mut s = sample_stream();
    s.groups[0].consumers[1].pending.push(StreamId::new(99, 0));
    let err = restore_payload(&redraft_persist::dump_payload(&RdbValue::Stream(s))).unwrap_err();
    assert!(
        err.to_string().contains("not found in the group PEL"),
        "{err}"
    );
    // Two consumers owning the same entry.
    let mut s = sample_stream();
    s.groups[0].consumers[1].pending.push(StreamId::new(10, 0));
    assert!(restore_payload(&redraft_persist::dump_payload(&RdbValue::Stream(s))).is_err());
    // Duplicate group names.
    let mut s = sample_stream();
    let g = s.groups[0].clone();
    s.groups.push(g);
    assert!(restore_payload(&redraft_persist::dump_payload(&RdbValue::Stream(s))).is_err());
    // Unordered entries cannot be written.
    let mut s = sample_stream();
    s.entries.swap(0, 1);
    assert!(redraft_persist::rdb::try_dump_payload(&RdbValue::Stream(s), false).is_err());
    // A group with unknown entries_read round trips as None.
    let mut s = sample_stream();
    s.groups[0].entries_read = None;
    for c in &mut s.groups[0].consumers {
        c.active_time_ms = c.seen_time_ms; // type 19 has no active time
    }
    let v = RdbValue::Stream(s);
    assert_eq!(
        restore_payload(&redraft_persist::dump_payload(&v)).unwrap(),
        v
    );
}

#[test]
fn lzf_everywhere() {
    // Keys, AUX values, members: every string may be LZF-compressed.
    let long = vec![b'q'; 200];
    let rec = redraft_persist::Record {
        db: 0,
        key: long.clone(),
        value: RdbValue::Hash(vec![(long.clone(), long.clone())]),
        expire_ms: None,
        idle: None,
        freq: None,
    };
    let opts = redraft_persist::WriterOptions {
        extra_aux: vec![(b("long-aux"), long.clone())],
        ..Default::default()
    };
    let bytes =
        redraft_persist::write_rdb(Vec::new(), &opts, &[], std::slice::from_ref(&rec)).unwrap();
    assert!(bytes.len() < 200, "compressed: {} bytes", bytes.len());
    let (info, recs) = load_bytes(&bytes).unwrap();
    assert_eq!(info.aux_value(b"long-aux"), Some(&long[..]));
    assert_eq!(recs, vec![rec]);
    // A damaged LZF payload is corrupt, not a panic.
    let mut body = vec![0x00];
    body.extend(s(b"k"));
    body.extend([0xc3, 0x03, 0x0a, 0x20, 0x00, 0x00]);
    assert!(corrupt_msg(&rdb(10, &body)).contains("LZF"));
}
