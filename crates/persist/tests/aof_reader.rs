//! The AOF reader: real files written by Redis 7.0.15, truncation at every
//! offset, corruption, annotations, transactions, RDB preambles.

mod common;

use std::path::{Path, PathBuf};

use common::{b, vector, vectors_dir, Rng};
use redraft_persist::aof::{
    encode_command, load_file, read_commands, read_commands_at, truncate_file, AofErrorKind,
    AofIncr, ReadOutcome,
};
use redraft_persist::{RdbValue, Record};

type Argv = Vec<Vec<u8>>;

fn cmd(args: &[&str]) -> Argv {
    args.iter().map(|a| b(a)).collect()
}

fn read_all(data: &[u8]) -> (Result<ReadOutcome, redraft_persist::AofError>, Vec<Argv>) {
    let mut got = Vec::new();
    let r = read_commands(data, |c| {
        got.push(c);
        Ok(())
    });
    (r, got)
}

fn show(cmds: &[Argv]) -> Vec<String> {
    cmds.iter()
        .map(|c| {
            c.iter()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let p =
            std::env::temp_dir().join(format!("redraft-aof-reader-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn file(&self, name: &str, data: &[u8]) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, data).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An independent, trusting parse of well-formed RESP: (start, end, argv)
/// per command; annotations skipped.
fn ref_parse(d: &[u8]) -> Vec<(usize, usize, Argv)> {
    fn line(d: &[u8], i: &mut usize) -> usize {
        let nl = *i + d[*i..].iter().position(|&c| c == b'\n').unwrap();
        let v = std::str::from_utf8(&d[*i + 1..nl - 1])
            .unwrap()
            .parse()
            .unwrap();
        *i = nl + 1;
        v
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < d.len() {
        if d[i] == b'#' {
            i += d[i..].iter().position(|&c| c == b'\n').unwrap() + 1;
            continue;
        }
        let start = i;
        let n = line(d, &mut i);
        let mut argv = Vec::new();
        for _ in 0..n {
            let l = line(d, &mut i);
            argv.push(d[i..i + l].to_vec());
            i += l + 2;
        }
        out.push((start, i, argv));
    }
    out
}

/// What a reader must report for `d` cut at every offset: the commands
/// delivered (transactions only once complete), the outcome.
fn check_every_cut(d: &[u8]) {
    let cmds = ref_parse(d);
    // For each command: the offset at which it becomes deliverable (its end,
    // or the end of its transaction's EXEC), and its MULTI if inside one.
    let mut commit = vec![0usize; cmds.len()];
    let mut multi_of: Vec<Option<usize>> = vec![None; cmds.len()];
    let mut open: Option<usize> = None;
    for (k, (_, end, argv)) in cmds.iter().enumerate() {
        let name = argv[0].to_ascii_uppercase();
        if name == b"MULTI" {
            open = Some(k);
        }
        multi_of[k] = open;
        if name == b"EXEC" {
            let m = open.take().unwrap();
            for c in commit.iter_mut().take(k + 1).skip(m) {
                *c = *end;
            }
        } else if open.is_none() {
            commit[k] = *end;
        }
    }
    assert!(open.is_none());
    // Boundaries at which the input may end cleanly: 0, every commit point,
    // and the end of every annotation line that is not inside a transaction.
    let mut clean: Vec<usize> = vec![0];
    clean.extend(commit.iter().copied());
    let mut i = 0;
    let mut in_tx = false;
    let mut k = 0;
    while i < d.len() {
        if d[i] == b'#' {
            i += d[i..].iter().position(|&c| c == b'\n').unwrap() + 1;
            if !in_tx {
                clean.push(i);
            }
            continue;
        }
        let name = cmds[k].2[0].to_ascii_uppercase();
        if name == b"MULTI" {
            in_tx = true;
        }
        if name == b"EXEC" {
            in_tx = false;
        }
        i = cmds[k].1;
        k += 1;
    }
    clean.sort_unstable();
    clean.dedup();

    for cut in 0..=d.len() {
        let (r, got) = read_all(&d[..cut]);
        let r = r.unwrap_or_else(|e| panic!("cut at {cut}: {e}"));
        let want: Vec<Argv> = cmds
            .iter()
            .zip(&commit)
            .filter(|(_, &c)| c <= cut)
            .map(|(c, _)| c.2.clone())
            .collect();
        assert_eq!(got, want, "cut at {cut}: commands");
        let valid = *clean.iter().rev().find(|&&c| c <= cut).unwrap();
        let n = want.len() as u64;
        if clean.contains(&cut) {
            assert_eq!(
                r,
                ReadOutcome::Complete {
                    len: cut as u64,
                    commands: n
                },
                "cut at {cut}"
            );
        } else {
            // Inside a transaction once its MULTI is complete.
            let unfinished = cmds
                .iter()
                .enumerate()
                .find(|(k, c)| multi_of[*k] == Some(*k) && c.1 <= cut && commit[*k] > cut)
                .map(|(_, c)| c.0 as u64);
            assert_eq!(
                r,
                ReadOutcome::Truncated {
                    valid_len: valid as u64,
                    len: cut as u64,
                    commands: n,
                    unfinished_multi: unfinished,
                },
                "cut at {cut}"
            );
            if let Some(m) = unfinished {
                assert_eq!(m, valid as u64);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Real files
// ---------------------------------------------------------------------------

#[test]
fn incr_propagation_vector_decodes() {
    let d = vector("generated/redis-7.0.15-incr-propagation.aof");
    let (r, got) = read_all(&d);
    let want = vec![
        cmd(&["SELECT", "0"]),
        cmd(&["set", "a", "1"]),
        cmd(&["PEXPIREAT", "a", "1795300255259"]),
        cmd(&["SET", "b", "2", "PXAT", "1795300255262"]),
        cmd(&["SET", "c", "3", "PXAT", "1795300255266"]),
        cmd(&["SET", "f", "1.5", "KEEPTTL"]),
        cmd(&["sadd", "s", "x", "y", "z"]),
        cmd(&["SREM", "s", "y"]),
        cmd(&["SELECT", "2"]),
        cmd(&["set", "d", "4"]),
        cmd(&["SELECT", "0"]),
        cmd(&["MULTI"]),
        cmd(&["SET", "m1", "1"]),
        cmd(&["SET", "m2", "2"]),
        cmd(&["EXEC"]),
        cmd(&["MULTI"]),
        cmd(&["set", "e1", "1"]),
        cmd(&["set", "e2", "2"]),
        cmd(&["EXEC"]),
        cmd(&["PERSIST", "a"]),
        cmd(&["lpush", "bl", "q"]),
        cmd(&["LPOP", "bl"]),
        cmd(&["SET", "short", "v", "PXAT", "1795300155309"]),
        cmd(&["DEL", "short"]),
        cmd(&["set", "gone", "v"]),
        cmd(&["DEL", "gone"]),
        cmd(&["xadd", "x", "1795300155377-0", "k", "v"]),
        cmd(&[
            "function",
            "load",
            "#!lua name=mylib\nredis.register_function('f1', function() return 1 end)",
        ]),
        cmd(&["HSET", "h", "fld", "0.5"]),
    ];
    assert_eq!(show(&got), show(&want));
    assert_eq!(got, want);
    assert_eq!(
        r.unwrap(),
        ReadOutcome::Complete {
            len: 981,
            commands: 29
        }
    );
    // Our encoder writes these bytes back exactly.
    let mut out = Vec::new();
    for c in &got {
        let args: Vec<&[u8]> = c.iter().map(Vec::as_slice).collect();
        encode_command(&mut out, &args);
    }
    assert_eq!(out, d);
}

#[test]
fn rdb_preamble_aof_loads_k1_k2_then_k3() {
    let path = vectors_dir().join("redis-tests-assets/rdb-preamble.aof");
    let mut recs: Vec<Record> = Vec::new();
    let mut cmds = Vec::new();
    let out = load_file(
        &path,
        |r| {
            recs.push(r);
            Ok(())
        },
        |c| {
            cmds.push(c);
            Ok(())
        },
    )
    .unwrap();
    let kv: Vec<(Vec<u8>, RdbValue)> = recs.into_iter().map(|r| (r.key, r.value)).collect();
    let mut kv_sorted = kv.clone();
    kv_sorted.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        kv_sorted,
        vec![
            (b("k1"), RdbValue::String(b("v1"))),
            (b("k2"), RdbValue::String(b("v2")))
        ]
    );
    assert_eq!(cmds, vec![cmd(&["SELECT", "0"]), cmd(&["set", "k3", "v3"])]);
    let info = out.rdb.as_ref().unwrap();
    assert_eq!(info.aux_value(b"aof-preamble"), Some(&b"1"[..]));
    assert_eq!(out.file_len, 169);
    assert_eq!(out.resp_start(), info.bytes_read);
    assert_eq!(
        out.resp,
        ReadOutcome::Complete {
            len: 169,
            commands: 2
        }
    );
}

#[test]
fn preamble_with_cut_tail_keeps_the_rdb() {
    // Redis 7.0 would truncate to 0 if the first command is cut; we keep the
    // RDB part.
    let d = vector("redis-tests-assets/rdb-preamble.aof");
    let t = TempDir::new("preamble-cut");
    let rdb_end = 169 - (23 + 29); // SELECT 0 is 23 bytes, set k3 v3 is 29
    for cut in rdb_end..=d.len() {
        let p = t.file("cut.aof", &d[..cut]);
        let mut n_recs = 0;
        let mut cmds = Vec::new();
        let out = load_file(
            &p,
            |_| {
                n_recs += 1;
                Ok(())
            },
            |c| {
                cmds.push(c);
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(n_recs, 2);
        assert_eq!(out.resp_start(), rdb_end as u64);
        let want_valid = if cut < rdb_end + 23 {
            rdb_end
        } else if cut < 169 {
            rdb_end + 23
        } else {
            169
        };
        assert_eq!(out.valid_len(), want_valid as u64, "cut {cut}");
        assert_eq!(out.is_truncated(), cut != want_valid, "cut {cut}");
        assert_eq!(
            cmds.len(),
            [0, 1, 2][[rdb_end, rdb_end + 23, 169]
                .iter()
                .position(|&v| v == want_valid)
                .unwrap()]
        );
    }
    // A cut inside the RDB part is an RDB error, never a truncation.
    for cut in [9, 50, rdb_end - 1] {
        let p = t.file("cut.aof", &d[..cut]);
        let e = load_file(&p, |_| Ok(()), |_| Ok(())).unwrap_err();
        assert!(matches!(e.kind(), AofErrorKind::Rdb(_)), "cut {cut}: {e}");
        assert_eq!(e.path(), Some(p.as_path()));
    }
}

#[test]
fn multipart_resp_base_and_truncated_incr() {
    let dir = vectors_dir().join("generated/aof-multipart-resp-base");
    let mut cmds = Vec::new();
    let base = load_file(
        &dir.join("appendonly.aof.3.base.aof"),
        |_| Err("no records expected".into()),
        |c| {
            cmds.push(c);
            Ok(())
        },
    )
    .unwrap();
    assert!(base.rdb.is_none());
    assert_eq!(
        base.resp,
        ReadOutcome::Complete {
            len: 454,
            commands: 15
        }
    );
    assert_eq!(cmds[0], cmd(&["SELECT", "0"]));
    assert_eq!(cmds[8], cmd(&["SADD", "s", "y", "z"]));
    assert_eq!(cmds[14], cmd(&["SET", "d", "4"]));

    let mut incr = Vec::new();
    let out = load_file(
        &dir.join("appendonly.aof.3.incr.aof"),
        |_| Ok(()),
        |c| {
            incr.push(c);
            Ok(())
        },
    )
    .unwrap();
    assert_eq!(
        incr,
        vec![cmd(&["SELECT", "0"]), cmd(&["set", "after2", "y"])]
    );
    assert_eq!(
        out.resp,
        ReadOutcome::Complete {
            len: 55,
            commands: 2
        }
    );

    // The same incr with 32 bytes of a cut-off SET: redis-check-aof says
    // ok_up_to=55, diff=32.
    let tdir = vectors_dir().join("generated/aof-multipart-truncated");
    let mut incr = Vec::new();
    let src = tdir.join("appendonly.aof.3.incr.aof");
    let out = load_file(
        &src,
        |_| Ok(()),
        |c| {
            incr.push(c);
            Ok(())
        },
    )
    .unwrap();
    assert_eq!(
        incr,
        vec![cmd(&["SELECT", "0"]), cmd(&["set", "after2", "y"])]
    );
    assert_eq!(
        out.resp,
        ReadOutcome::Truncated {
            valid_len: 55,
            len: 87,
            commands: 2,
            unfinished_multi: None
        }
    );
    // Truncating a copy there makes it complete (what aof-load-truncated
    // yes does).
    let t = TempDir::new("trunc");
    let p = t.file("incr.aof", &std::fs::read(&src).unwrap());
    truncate_file(&p, out.valid_len()).unwrap();
    assert_eq!(
        std::fs::read(&p).unwrap(),
        vector("generated/aof-multipart-resp-base/appendonly.aof.3.incr.aof")
    );
    let again = load_file(&p, |_| Ok(()), |_| Ok(())).unwrap();
    assert_eq!(
        again.resp,
        ReadOutcome::Complete {
            len: 55,
            commands: 2
        }
    );
}

// ---------------------------------------------------------------------------
// Truncation at every offset
// ---------------------------------------------------------------------------

#[test]
fn every_cut_of_the_incr_vectors() {
    check_every_cut(&vector("generated/redis-7.0.15-incr-propagation.aof"));
    check_every_cut(&vector(
        "redis-7.0.15/appendonlydir/appendonly.aof.1.incr.aof",
    ));
    check_every_cut(&vector(
        "generated/aof-multipart-resp-base/appendonly.aof.3.base.aof",
    ));
}

#[test]
fn every_cut_with_annotations_and_binary_values() {
    let mut d = Vec::new();
    d.extend_from_slice(b"#TS:1700000000\r\n");
    encode_command(&mut d, &[b"SELECT", b"0"]);
    encode_command(&mut d, &[b"SET", b"bin", b"\r\n*1\r\n$4\r\nPING\r\n\0\xff"]);
    d.extend_from_slice(b"#TS:1700000001\r\n");
    encode_command(&mut d, &[b"MULTI"]);
    d.extend_from_slice(b"#TS:1700000002\r\n");
    encode_command(&mut d, &[b"INCR", b"n"]);
    encode_command(&mut d, &[b"SET", b"empty", b""]);
    encode_command(&mut d, &[b"exec"]);
    d.extend_from_slice(b"#TS:1700000003\r\n");
    encode_command(&mut d, &[b"multi"]);
    encode_command(&mut d, &[b"EXEC"]);
    encode_command(&mut d, &[b"DEL", b"bin"]);
    check_every_cut(&d);
}

// ---------------------------------------------------------------------------
// Corruption
// ---------------------------------------------------------------------------

fn format_error(d: &[u8]) -> (u64, u64, String) {
    let (r, _) = read_all(d);
    match r {
        Err(e) => match e.kind() {
            AofErrorKind::Format {
                offset,
                valid_len,
                reason,
            } => (*offset, *valid_len, reason.clone()),
            other => panic!("{:?}: unexpected {other:?}", String::from_utf8_lossy(d)),
        },
        Ok(o) => panic!(
            "{:?}: expected an error, got {o:?}",
            String::from_utf8_lossy(d)
        ),
    }
}

#[test]
fn corruption_is_an_error_with_its_offset() {
    let ping = b"*1\r\n$4\r\nPING\r\n"; // 14 bytes
    let with = |tail: &[u8]| [&ping[..], tail].concat();
    let cases: &[(&[u8], u64, u64, &str)] = &[
        (b"xyz", 0, 0, "expected '*'"),
        (b"\n", 0, 0, "expected '*'"),
        (b"REDIS0010", 0, 0, "expected '*'"),
        (b"*0\r\n", 0, 0, "invalid multibulk length 0"),
        (b"*-1\r\n", 0, 0, "invalid multibulk length"),
        (b"*3x\r\n", 0, 0, "invalid multibulk length"),
        (b"*3x", 0, 0, "invalid multibulk length"),
        (b"* 3\r\n", 0, 0, "invalid multibulk length"),
        (b"*3\n$3\r\nSET\r\n", 0, 0, "not terminated"),
        (b"*99999999999\r\n", 0, 0, "invalid multibulk length"),
        (b"*1\r\n:4\r\n", 4, 0, "expected '$'"),
        (b"*1\r\n$-1\r\n", 4, 0, "invalid bulk length"),
        (b"*1\r\n$99999999999999999999\r\n", 4, 0, "out of range"),
        (
            b"*1\r\n$4\r\nPINGxx",
            12,
            0,
            "expected \\r\\n after a bulk string of 4 bytes",
        ),
        (b"*1\r\n$4\r\nPING\rx", 13, 0, "expected \\r\\n"),
    ];
    for (d, off, valid, needle) in cases {
        let (o, v, reason) = format_error(d);
        assert_eq!(
            (o, v),
            (*off, *valid),
            "{:?}: {reason}",
            String::from_utf8_lossy(d)
        );
        assert!(
            reason.contains(needle),
            "{:?}: {reason}",
            String::from_utf8_lossy(d)
        );
        // The same after a valid command: offsets shift, valid_len is 14.
        let (o, v, _) = format_error(&with(d));
        assert_eq!(
            (o, v),
            (off + 14, 14),
            "after PING: {:?}",
            String::from_utf8_lossy(d)
        );
    }
    // A header line longer than 1024 bytes.
    let mut long = b"*1".to_vec();
    long.extend(std::iter::repeat(b'0').take(2000));
    let (o, _, reason) = format_error(&long);
    assert_eq!(o, 0);
    assert!(reason.contains("too long"), "{reason}");

    // Transactions Redis never writes.
    let mut d = Vec::new();
    encode_command(&mut d, &[b"MULTI"]);
    encode_command(&mut d, &[b"MULTI"]);
    let (o, v, reason) = format_error(&d);
    assert_eq!((o, v), (15, 0));
    assert!(reason.contains("Unexpected MULTI"), "{reason}");
    let (o, v, reason) = format_error(&with(b"*1\r\n$4\r\nEXEC\r\n"));
    assert_eq!((o, v), (14, 14));
    assert!(reason.contains("Unexpected EXEC"), "{reason}");

    // Garbage after a complete command, without a newline: corrupt, not cut.
    let (o, v, _) = format_error(&with(b"xyz"));
    assert_eq!((o, v), (14, 14));
    // A prefix that could still be valid is a cut.
    for tail in [
        &b"*"[..],
        b"*1",
        b"*12\r",
        b"*1\r\n$",
        b"*1\r\n$4\r",
        b"*1\r\n$4\r\nPI",
    ] {
        let (r, got) = read_all(&with(tail));
        assert_eq!(got.len(), 1);
        assert_eq!(
            r.unwrap(),
            ReadOutcome::Truncated {
                valid_len: 14,
                len: 14 + tail.len() as u64,
                commands: 1,
                unfinished_multi: None
            },
            "{:?}",
            String::from_utf8_lossy(tail)
        );
    }
    // Error messages name the offset and the file.
    let t = TempDir::new("corrupt");
    let p = t.file("bad.aof", &with(b"*1\r\n$4\r\nPINGxx"));
    let e = load_file(&p, |_| Ok(()), |_| Ok(())).unwrap_err();
    assert_eq!(e.offset(), Some(26));
    let msg = e.to_string();
    assert!(
        msg.contains("bad.aof") && msg.contains("offset 26"),
        "{msg}"
    );
}

#[test]
fn random_damage_never_panics_or_invents_commands() {
    let d = vector("generated/redis-7.0.15-incr-propagation.aof");
    let full = ref_parse(&d);
    let mut rng = Rng(0x5eed_a0f0);
    for round in 0..3000 {
        let mut m = d.clone();
        let flips = 1 + rng.below(3);
        let mut first = m.len();
        for _ in 0..flips {
            let i = rng.below(m.len());
            first = first.min(i);
            m[i] = match rng.below(4) {
                0 => b'\r',
                1 => b'*',
                2 => b'$',
                _ => rng.next() as u8,
            };
        }
        let cut = if rng.below(2) == 0 {
            m.len()
        } else {
            rng.below(m.len() + 1)
        };
        let m = &m[..cut];
        let (r, got) = read_all(m);
        // Commands that end before the first damaged byte are exactly the
        // original ones.
        for (k, (_, end, argv)) in full.iter().enumerate() {
            if *end <= first.min(cut) && k < got.len() {
                assert_eq!(&got[k], argv, "round {round}");
            }
        }
        if let Err(e) = r {
            assert!(
                matches!(e.kind(), AofErrorKind::Format { .. }),
                "round {round}: {e}"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Callbacks, empty files, odd starts
// ---------------------------------------------------------------------------

#[test]
fn callback_errors_stop_the_read() {
    let d = vector("generated/redis-7.0.15-incr-propagation.aof");
    let mut n = 0;
    let r = read_commands(&d[..], |c| {
        n += 1;
        if c[0] == b"sadd" {
            Err("no sets here".into())
        } else {
            Ok(())
        }
    });
    let e = r.unwrap_err();
    match e.kind() {
        AofErrorKind::Rejected { offset, reason } => {
            let sadd = ref_parse(&d)
                .into_iter()
                .find(|c| c.2[0] == b"sadd")
                .unwrap();
            assert_eq!(*offset, sadd.0 as u64);
            assert_eq!(reason, "no sets here");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(n, 7);
}

#[test]
fn offsets_start_where_told() {
    let mut d = Vec::new();
    encode_command(&mut d, &[b"SET", b"k", b"v"]);
    let cut = &d[..d.len() - 1];
    let r = read_commands_at(cut, 1000, |_| Ok(())).unwrap();
    assert_eq!(
        r,
        ReadOutcome::Truncated {
            valid_len: 1000,
            len: 1000 + cut.len() as u64,
            commands: 0,
            unfinished_multi: None
        }
    );
}

#[test]
fn empty_and_short_files() {
    let t = TempDir::new("empty");
    let p = t.file("empty.aof", b"");
    let out = load_file(&p, |_| Ok(()), |_| Ok(())).unwrap();
    assert!(out.is_empty());
    assert_eq!(
        out.resp,
        ReadOutcome::Complete {
            len: 0,
            commands: 0
        }
    );
    // "RED" is not an RDB signature: parsed as RESP, and corrupt.
    let p = t.file("red.aof", b"RED");
    let e = load_file(&p, |_| Ok(()), |_| Ok(())).unwrap_err();
    assert!(
        matches!(e.kind(), AofErrorKind::Format { offset: 0, .. }),
        "{e}"
    );
    // A missing file is an I/O error naming it.
    let e = load_file(&t.0.join("missing.aof"), |_| Ok(()), |_| Ok(())).unwrap_err();
    assert!(matches!(e.kind(), AofErrorKind::Io(_)));
    assert!(e.to_string().contains("missing.aof"));
    // Annotations only.
    let (r, got) = read_all(b"#TS:1\r\n#TS:2\r\n");
    assert!(got.is_empty());
    assert_eq!(
        r.unwrap(),
        ReadOutcome::Complete {
            len: 14,
            commands: 0
        }
    );
    // A dangling annotation is a cut tail.
    let (r, _) = read_all(b"#TS:1\r\n#TS:2");
    assert_eq!(
        r.unwrap(),
        ReadOutcome::Truncated {
            valid_len: 7,
            len: 12,
            commands: 0,
            unfinished_multi: None
        }
    );
}

#[test]
fn incr_writer_appends_and_reopens() {
    let t = TempDir::new("incr");
    let p = t.0.join("appendonly.aof.1.incr.aof");
    std::fs::write(&p, b"stale").unwrap();
    let mut w = AofIncr::create(&p).unwrap();
    assert!(w.is_empty());
    let mut buf = Vec::new();
    redraft_persist::aof::encode_select(&mut buf, 0);
    encode_command(&mut buf, &[b"SET", b"k", b"v"]);
    w.append(&buf).unwrap();
    w.fsync().unwrap();
    assert_eq!(w.len(), buf.len() as u64);
    assert_eq!(w.path(), p.as_path());
    drop(w);
    let mut w = AofIncr::open_append(&p).unwrap();
    assert_eq!(w.len(), buf.len() as u64);
    let mut more = Vec::new();
    encode_command(&mut more, &[b"DEL", b"k"]);
    w.append(&more).unwrap();
    assert_eq!(w.len(), (buf.len() + more.len()) as u64);
    drop(w);
    let (r, got) = read_all(&std::fs::read(&p).unwrap());
    assert_eq!(
        got,
        vec![
            cmd(&["SELECT", "0"]),
            cmd(&["SET", "k", "v"]),
            cmd(&["DEL", "k"])
        ]
    );
    assert!(!r.unwrap().is_truncated());
    // open_append creates a missing file.
    let q = t.0.join("new.aof");
    assert!(AofIncr::open_append(&q).unwrap().is_empty());
    assert!(Path::new(&q).exists());
}
