//! The AOF manifest: Redis 7.0.15's grammar and error cases (each case
//! below was checked against `redis-check-aof` 7.0.15, which uses the same
//! parser as the server), round trips, naming, seqs, history, atomic write.

mod common;

use std::path::PathBuf;

use common::vector;
use redraft_persist::aof::{
    base_file_name, incr_file_name, manifest_file_name, temp_incr_file_name,
    temp_manifest_file_name, temp_rewrite_file_name, write_manifest, AofFile, AofKind, BaseFormat,
    Manifest, ManifestErrorKind,
};

fn f(name: &str, seq: u64, kind: AofKind) -> AofFile {
    AofFile::new(name, seq, kind)
}

fn parse(s: &str) -> Result<Manifest, ManifestErrorKind> {
    Manifest::parse(s.as_bytes()).map_err(|e| e.kind)
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!(
            "redraft-aof-manifest-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn vectors_parse() {
    let m = Manifest::parse(&vector(
        "redis-7.0.15/appendonlydir/appendonly.aof.manifest",
    ))
    .unwrap();
    assert_eq!(
        m,
        Manifest {
            base: Some(f("appendonly.aof.1.base.rdb", 1, AofKind::Base)),
            incrs: vec![f("appendonly.aof.1.incr.aof", 1, AofKind::Incr)],
            history: vec![],
        }
    );
    let bytes = vector("generated/aof-multipart-resp-base/appendonly.aof.manifest");
    let m = Manifest::parse(&bytes).unwrap();
    assert_eq!(
        m.base,
        Some(f("appendonly.aof.3.base.aof", 3, AofKind::Base))
    );
    assert_eq!(
        m.incrs,
        vec![f("appendonly.aof.3.incr.aof", 3, AofKind::Incr)]
    );
    // Byte-exact round trip of what Redis wrote.
    assert_eq!(m.to_bytes(), bytes);
}

#[test]
fn accepted_variants() {
    // Quoted name, upper-case keys, reordered keys, extra pairs, comments,
    // CRLF line ends, history entries, type taken from the first byte.
    let m = parse(concat!(
        "# a comment\n",
        "type b SEQ 2 FILE \"appendonly.aof.2.base.rdb\" extra ignored\n",
        "file appendonly.aof.1.base.rdb seq 1 type h\n",
        "file appendonly.aof.1.incr.aof seq 1 type h\r\n",
        "file 'appendonly.aof.2.incr.aof' seq 2 type incr\n",
        "file appendonly.aof.5.incr.aof seq 5 type i\n",
    ))
    .unwrap();
    assert_eq!(
        m.base,
        Some(f("appendonly.aof.2.base.rdb", 2, AofKind::Base))
    );
    assert_eq!(
        m.history,
        vec![
            f("appendonly.aof.1.base.rdb", 1, AofKind::History),
            f("appendonly.aof.1.incr.aof", 1, AofKind::History)
        ]
    );
    assert_eq!(
        m.incrs,
        vec![
            f("appendonly.aof.2.incr.aof", 2, AofKind::Incr),
            f("appendonly.aof.5.incr.aof", 5, AofKind::Incr)
        ]
    );
    // Written back in Redis's order and form.
    assert_eq!(
        String::from_utf8(m.to_bytes()).unwrap(),
        "file appendonly.aof.2.base.rdb seq 2 type b\n\
         file appendonly.aof.1.base.rdb seq 1 type h\n\
         file appendonly.aof.1.incr.aof seq 1 type h\n\
         file appendonly.aof.2.incr.aof seq 2 type i\n\
         file appendonly.aof.5.incr.aof seq 5 type i\n"
    );

    // `type bar` is a base (first byte), `seq 12x` is 12 (atoll), a key
    // given twice keeps the last value.
    let m = parse("file a seq 12x type bar file b\n").unwrap();
    assert_eq!(m.base, Some(f("b", 12, AofKind::Base)));
    // A manifest of comments only has nothing to load.
    let m = parse("# only a comment\n").unwrap();
    assert!(m.has_nothing_to_load());
    // A comment line needs no final newline.
    assert!(parse("file a seq 1 type i\n# tail").is_ok());
    // Leading white space is trimmed; a line of exactly 1024 bytes is fine.
    assert!(parse("  file a seq 1 type i\n").is_ok());
    let name = "n".repeat(1024 - "file  seq 1 type i\n".len());
    let line = format!("file {name} seq 1 type i\n");
    assert_eq!(line.len(), 1024);
    assert_eq!(parse(&line).unwrap().incrs[0].name, name);
}

#[test]
fn redis_error_cases() {
    use ManifestErrorKind as K;
    let cases: &[(&str, ManifestErrorKind)] = &[
        ("", K::Empty),
        // The last line must end with a newline.
        (
            "file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i",
            K::TooLongLine,
        ),
        ("file a seq 1 type b\n\nfile b seq 1 type i\n", K::InvalidFormat),
        ("   \n", K::InvalidFormat),
        ("\n", K::InvalidFormat),
        (
            "file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.base.aof seq 2 type b\n",
            K::DuplicateBase,
        ),
        (
            "file appendonly.aof.2.incr.aof seq 2 type i\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
            K::NonMonotonicSeq,
        ),
        ("file a seq 3 type i\nfile b seq 3 type i\n", K::NonMonotonicSeq),
        ("file a seq -1 type i\n", K::NonMonotonicSeq),
        ("file appendonly.aof.1.base.aof seq 1 type x\n", K::UnknownType),
        // Missing `file`: too few known keys.
        ("filx appendonly.aof.1.base.aof seq 1 type b\n", K::InvalidFormat),
        ("file appendonly.aof.1.incr.aof type i\n", K::InvalidFormat),
        ("file appendonly.aof.1.incr.aof seq 1 type i newkey\n", K::InvalidFormat),
        ("file appendonly.aof.1.base.aof seq 0 type b\n", K::InvalidFormat),
        ("file appendonly.aof.1.base.aof seq x type b\n", K::InvalidFormat),
        ("file a seq 1 type \"\"\n", K::InvalidFormat),
        ("file \"appendonly.aof.1.base.aof seq 1 type b\n", K::InvalidFormat),
        ("file \"a\"b seq 1 type b\n", K::InvalidFormat),
        ("file a/appendonly.aof.1.incr.aof seq 1 type i\n", K::NotBaseName),
        ("file a\\\\b seq 1 type i\n", K::NotBaseName),
        ("file \"a\\\\b\" seq 1 type i\n", K::NotBaseName),
        // Ours (Redis would try to open the directory itself).
        ("file \"\" seq 1 type b\n", K::InvalidFormat),
        ("file .. seq 1 type b\n", K::NotBaseName),
        ("file a seq -3 type b\n", K::InvalidFormat),
        ("file \"\\xff\" seq 1 type b\n", K::NotUtf8Name),
    ];
    for (text, want) in cases {
        assert_eq!(parse(text).map(|_| ()), Err(*want), "{text:?}");
    }

    // A line over 1024 bytes (Redis's test "line too long").
    let long = format!(
        "{}\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
        "file appendonly.aof.1.base.aof seq 1 type b ".repeat(40)
    );
    assert_eq!(parse(&long).map(|_| ()), Err(K::TooLongLine));
    let name = "n".repeat(1025 - "file  seq 1 type i\n".len());
    assert_eq!(
        parse(&format!("file {name} seq 1 type i\n")).map(|_| ()),
        Err(K::TooLongLine)
    );
    // A NUL before the newline: C's strchr never finds the newline.
    assert_eq!(
        Manifest::parse(b"file a\0 seq 1 type b\n").map_err(|e| e.kind),
        Err(K::TooLongLine)
    );

    // Where: line numbers count comment lines; the text is the trimmed line.
    let e = Manifest::parse(b"# c\nfile a seq 1 type b\n  file b seq 2 type b  \r\n").unwrap_err();
    assert_eq!(e.kind, K::DuplicateBase);
    assert_eq!(e.line, Some(3));
    assert_eq!(e.text.as_deref(), Some("file b seq 2 type b"));
    assert_eq!(
        e.to_string(),
        "Found duplicate base file information (reading the manifest file, at line 3: 'file b seq 2 type b')"
    );
    assert_eq!(
        ManifestErrorKind::InvalidFormat.redis_message(),
        "Invalid AOF manifest file format"
    );
}

#[test]
fn quoting_round_trips() {
    let m = Manifest {
        base: Some(f("base with space.rdb", 7, AofKind::Base)),
        history: vec![f("h\"q", 6, AofKind::History)],
        incrs: vec![
            f("tab\tnl\n.aof", 7, AofKind::Incr),
            f("it's.aof", 8, AofKind::Incr),
            f("caf\u{e9}.aof", 9, AofKind::Incr),
        ],
    };
    let text = String::from_utf8(m.to_bytes()).unwrap();
    assert_eq!(
        text,
        "file \"base with space.rdb\" seq 7 type b\n\
         file \"h\\\"q\" seq 6 type h\n\
         file \"tab\\tnl\\n.aof\" seq 7 type i\n\
         file \"it's.aof\" seq 8 type i\n\
         file \"caf\\xc3\\xa9.aof\" seq 9 type i\n"
    );
    assert_eq!(Manifest::parse(text.as_bytes()).unwrap(), m);
    assert!(m.validate().is_ok());
}

#[test]
fn names_and_seqs() {
    assert_eq!(
        manifest_file_name("appendonly.aof"),
        "appendonly.aof.manifest"
    );
    assert_eq!(
        temp_manifest_file_name("appendonly.aof"),
        "temp-appendonly.aof.manifest"
    );
    assert_eq!(
        base_file_name("appendonly.aof", 3, BaseFormat::Rdb),
        "appendonly.aof.3.base.rdb"
    );
    assert_eq!(
        base_file_name("appendonly.aof", 3, BaseFormat::Aof),
        "appendonly.aof.3.base.aof"
    );
    assert_eq!(
        incr_file_name("appendonly.aof", 12),
        "appendonly.aof.12.incr.aof"
    );
    assert_eq!(
        temp_incr_file_name("appendonly.aof"),
        "temp-appendonly.aof.incr"
    );
    assert_eq!(temp_rewrite_file_name(42), "temp-rewriteaof-bg-42.aof");

    // Fresh start with appendonly yes: base 1 + incr 1.
    let mut m = Manifest::default();
    assert_eq!((m.curr_base_seq(), m.curr_incr_seq()), (0, 0));
    let b = m.new_base("appendonly.aof", BaseFormat::Rdb);
    assert_eq!(b, f("appendonly.aof.1.base.rdb", 1, AofKind::Base));
    let (i, created) = m.last_incr_or_new("appendonly.aof");
    assert!(created);
    assert_eq!(i, f("appendonly.aof.1.incr.aof", 1, AofKind::Incr));
    assert_eq!(
        String::from_utf8(m.to_bytes()).unwrap(),
        "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
    let (again, created) = m.last_incr_or_new("appendonly.aof");
    assert!(!created);
    assert_eq!(again, i);

    // BGREWRITEAOF: a new incr first, then (when the child is done) a new
    // base; the old base and the covered incrs become history.
    m.new_incr("appendonly.aof");
    let nb = m.new_base("appendonly.aof", BaseFormat::Rdb);
    assert_eq!(nb.name, "appendonly.aof.2.base.rdb");
    m.mark_rewritten_incrs_as_history(true);
    assert_eq!(
        String::from_utf8(m.to_bytes()).unwrap(),
        "file appendonly.aof.2.base.rdb seq 2 type b\n\
         file appendonly.aof.1.incr.aof seq 1 type h\n\
         file appendonly.aof.1.base.rdb seq 1 type h\n\
         file appendonly.aof.2.incr.aof seq 2 type i\n"
    );
    let hist = m.take_history();
    assert_eq!(hist.len(), 2);
    assert_eq!(
        String::from_utf8(m.to_bytes()).unwrap(),
        "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n"
    );

    // Second rewrite, preamble off: 3.base.aof + 3.incr (verified sequence).
    m.new_incr("appendonly.aof");
    m.new_base("appendonly.aof", BaseFormat::Aof);
    m.mark_rewritten_incrs_as_history(true);
    m.take_history();
    assert_eq!(
        m.to_bytes(),
        vector("generated/aof-multipart-resp-base/appendonly.aof.manifest")
    );

    // Several incrs covered by a rewrite go to history in order, in front.
    let mut m = parse(
        "file b.1 seq 1 type b\nfile old seq 9 type h\nfile i.1 seq 1 type i\nfile i.2 seq 2 type i\nfile i.3 seq 3 type i\n",
    )
    .unwrap();
    m.mark_rewritten_incrs_as_history(true);
    let names: Vec<_> = m.history.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(names, ["i.1", "i.2", "old"]);
    assert!(m.history.iter().all(|h| h.kind == AofKind::History));
    assert_eq!(m.incrs, vec![f("i.3", 3, AofKind::Incr)]);
    // AOF off: every incr goes.
    m.mark_rewritten_incrs_as_history(false);
    assert!(m.incrs.is_empty());

    // A new name never reuses a listed file (history awaiting deletion).
    let mut m = parse("file appendonly.aof.1.incr.aof seq 1 type h\n").unwrap();
    assert_eq!(
        m.new_incr("appendonly.aof").name,
        "appendonly.aof.2.incr.aof"
    );

    // Legacy upgrade manifest.
    let mut m = Manifest::default();
    m.set_legacy_base("appendonly.aof");
    m.last_incr_or_new("appendonly.aof");
    assert_eq!(
        String::from_utf8(m.to_bytes()).unwrap(),
        "file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
}

#[test]
fn validate_refuses_unreadable_manifests() {
    let bad = [
        Manifest {
            base: Some(f("a/b", 1, AofKind::Base)),
            ..Default::default()
        },
        Manifest {
            base: Some(f("a", 0, AofKind::Base)),
            ..Default::default()
        },
        Manifest {
            base: Some(f("a", 1, AofKind::Incr)),
            ..Default::default()
        },
        Manifest {
            incrs: vec![f("a", 2, AofKind::Incr), f("b", 2, AofKind::Incr)],
            ..Default::default()
        },
        Manifest {
            incrs: vec![f(&"x".repeat(2000), 1, AofKind::Incr)],
            ..Default::default()
        },
        Manifest {
            incrs: vec![f("nul\0", 1, AofKind::Incr)],
            ..Default::default()
        },
    ];
    for m in bad {
        assert!(m.validate().is_err(), "{m:?}");
    }
    let t = TempDir::new("validate");
    let m = Manifest {
        base: Some(f("a/b", 1, AofKind::Base)),
        ..Default::default()
    };
    assert!(write_manifest(&t.0, "appendonly.aof", &m).is_err());
    assert!(
        std::fs::read_dir(&t.0).unwrap().next().is_none(),
        "nothing written"
    );
}

#[test]
fn atomic_write() {
    let t = TempDir::new("write");
    let mut m = Manifest::default();
    m.new_base("appendonly.aof", BaseFormat::Rdb);
    m.new_incr("appendonly.aof");
    m.persist(&t.0, "appendonly.aof").unwrap();
    let path = t.0.join("appendonly.aof.manifest");
    assert_eq!(std::fs::read(&path).unwrap(), m.to_bytes());
    assert_eq!(Manifest::read(&path).unwrap(), m);
    // Overwrite in place; no temp file left behind.
    m.new_incr("appendonly.aof");
    write_manifest(&t.0, "appendonly.aof", &m).unwrap();
    assert_eq!(Manifest::read(&path).unwrap(), m);
    let names: Vec<String> = std::fs::read_dir(&t.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["appendonly.aof.manifest"]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode & !0o022, 0o644 & !0o022);
    }
    // A directory that does not exist: an error naming the temp file.
    let e = write_manifest(&t.0.join("nope"), "appendonly.aof", &m).unwrap_err();
    assert!(
        e.to_string().contains("temp-appendonly.aof.manifest"),
        "{e}"
    );
    // Reading a bad manifest from disk names the file.
    std::fs::write(&path, "file x seq 1 type b").unwrap();
    let e = Manifest::read(&path).unwrap_err();
    assert!(e.to_string().contains("too long line"), "{e}");
    assert_eq!(e.path(), Some(path.as_path()));
}
