//! Whole AOF directories: the real 7.0.15 `appendonlydir/` against its
//! expected state, load plans (multi-part, legacy upgrade, missing, empty,
//! truncated files) and their replay.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{b, hex, vector, vectors_dir};
use redraft_persist::aof::{
    encode_command, encode_select, load_plan, plan, AofErrorKind, AofFile, AofIncr, AofKind,
    AofSink, LoadPlan, Manifest, ManifestErrorKind, PlanKind,
};
use redraft_persist::{RdbValue, Record};

// ---------------------------------------------------------------------------
// A tiny keyspace, enough for the commands of the vectors
// ---------------------------------------------------------------------------

#[derive(Default)]
struct Model {
    db: u32,
    keys: BTreeMap<(u32, Vec<u8>), (RdbValue, Option<i64>)>,
    files: Vec<PathBuf>,
    rdb_parts: usize,
}

impl Model {
    fn get_mut(&mut self, key: &[u8]) -> Option<&mut (RdbValue, Option<i64>)> {
        self.keys.get_mut(&(self.db, key.to_vec()))
    }
}

impl AofSink for Model {
    fn begin_file(&mut self, path: &Path) -> Result<(), String> {
        self.db = 0;
        self.files.push(path.to_path_buf());
        Ok(())
    }

    fn record(&mut self, rec: Record) -> Result<(), String> {
        let k = (rec.db, rec.key);
        if self.keys.insert(k, (rec.value, rec.expire_ms)).is_some() {
            return Err("duplicate key".into());
        }
        Ok(())
    }

    fn rdb_done(&mut self, _info: &redraft_persist::LoadInfo) -> Result<(), String> {
        self.rdb_parts += 1;
        Ok(())
    }

    fn command(&mut self, argv: Vec<Vec<u8>>) -> Result<(), String> {
        let name = String::from_utf8_lossy(&argv[0]).to_ascii_uppercase();
        let arg = |i: usize| argv[i].clone();
        let int = |i: usize| -> i64 { std::str::from_utf8(&argv[i]).unwrap().parse().unwrap() };
        let db = self.db;
        match name.as_str() {
            "SELECT" => self.db = int(1) as u32,
            "MULTI" | "EXEC" => {}
            "SET" => {
                if argv.len() != 3 {
                    return Err(format!("SET options unsupported here: {argv:?}"));
                }
                self.keys
                    .insert((db, arg(1)), (RdbValue::String(arg(2)), None));
            }
            "INCRBY" => {
                let by = int(2);
                let e = self
                    .keys
                    .entry((db, arg(1)))
                    .or_insert((RdbValue::String(b("0")), None));
                let RdbValue::String(s) = &mut e.0 else {
                    return Err("WRONGTYPE".into());
                };
                let v: i64 = std::str::from_utf8(s).unwrap().parse().unwrap();
                *s = (v + by).to_string().into_bytes();
            }
            "PEXPIREAT" => {
                let at = int(2);
                if let Some(e) = self.get_mut(&argv[1]) {
                    e.1 = Some(at);
                }
            }
            "RPUSH" | "LPUSH" => {
                let e = self
                    .keys
                    .entry((db, arg(1)))
                    .or_insert((RdbValue::List(vec![]), None));
                let RdbValue::List(l) = &mut e.0 else {
                    return Err("WRONGTYPE".into());
                };
                for v in &argv[2..] {
                    if name == "RPUSH" {
                        l.push(v.clone());
                    } else {
                        l.insert(0, v.clone());
                    }
                }
            }
            "HSET" => {
                let e = self
                    .keys
                    .entry((db, arg(1)))
                    .or_insert((RdbValue::Hash(vec![]), None));
                let RdbValue::Hash(h) = &mut e.0 else {
                    return Err("WRONGTYPE".into());
                };
                for fv in argv[2..].chunks(2) {
                    match h.iter_mut().find(|(f, _)| *f == fv[0]) {
                        Some(slot) => slot.1 = fv[1].clone(),
                        None => h.push((fv[0].clone(), fv[1].clone())),
                    }
                }
            }
            "DEL" => {
                for k in &argv[1..] {
                    self.keys.remove(&(db, k.clone()));
                }
            }
            other => return Err(format!("command {other} not in the model")),
        }
        Ok(())
    }
}

fn unhex(v: &serde_json::Value) -> Vec<u8> {
    hex(v.as_str().expect("hex string"))
}

/// Compares the model with an expected-state JSON of the vectors.
fn assert_matches_json(model: &Model, json: &serde_json::Value) {
    let keys = json["keys"].as_array().unwrap();
    assert_eq!(keys.len(), model.keys.len(), "number of keys");
    for k in keys {
        let db = k["db"].as_u64().unwrap() as u32;
        let key = unhex(&k["key"]);
        let name = format!("db{db} {}", String::from_utf8_lossy(&key));
        let (v, exp) = model
            .keys
            .get(&(db, key.clone()))
            .unwrap_or_else(|| panic!("missing {name}"));
        assert_eq!(
            *exp,
            k.get("expire_at_ms").and_then(|e| e.as_i64()),
            "{name}: expiry"
        );
        let ty = k["type"].as_str().unwrap();
        assert_eq!(v.type_name(), ty, "{name}: type");
        let val = &k["value"];
        let pairs = |val: &serde_json::Value| -> BTreeMap<Vec<u8>, Vec<u8>> {
            val.as_object()
                .unwrap()
                .iter()
                .map(|(f, v)| (hex(f), unhex(v)))
                .collect()
        };
        match (ty, v) {
            ("string", RdbValue::String(s)) => assert_eq!(*s, unhex(val), "{name}"),
            ("list", RdbValue::List(l)) => {
                let want: Vec<Vec<u8>> = val.as_array().unwrap().iter().map(unhex).collect();
                assert_eq!(*l, want, "{name}");
            }
            ("set", RdbValue::Set(s)) => {
                let mut want: Vec<Vec<u8>> = val.as_array().unwrap().iter().map(unhex).collect();
                want.sort();
                let mut got = s.clone();
                got.sort();
                assert_eq!(got, want, "{name}");
            }
            ("hash", RdbValue::Hash(h)) => {
                let got: BTreeMap<Vec<u8>, Vec<u8>> = h.iter().cloned().collect();
                assert_eq!(got.len(), h.len(), "{name}: duplicate field");
                assert_eq!(got, pairs(val), "{name}");
            }
            ("zset", RdbValue::ZSet(z)) => {
                let want: BTreeMap<Vec<u8>, f64> = val
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| (unhex(&p[0]), p[1].as_str().unwrap().parse().unwrap()))
                    .collect();
                let got: BTreeMap<Vec<u8>, f64> = z.iter().cloned().collect();
                assert_eq!(got, want, "{name}");
            }
            ("stream", RdbValue::Stream(s)) => {
                let want = val.as_array().unwrap();
                assert_eq!(s.entries.len(), want.len(), "{name}: XLEN");
                for (e, w) in s.entries.iter().zip(want) {
                    assert_eq!(e.id.to_string(), w[0].as_str().unwrap(), "{name}");
                    let got: BTreeMap<Vec<u8>, Vec<u8>> = e.fields.iter().cloned().collect();
                    assert_eq!(got, pairs(&w[1]), "{name} {}", e.id);
                }
            }
            _ => panic!("{name}: {ty} vs {v:?}"),
        }
    }
}

#[test]
fn redis_7_0_15_appendonlydir_loads_to_expected_state() {
    let dir = vectors_dir().join("redis-7.0.15");
    let p = plan(&dir, "appendonlydir", "appendonly.aof").unwrap();
    assert_eq!(p.kind, PlanKind::Load);
    assert!(p.manifest_found);
    assert!(p.upgrade.is_none() && p.ignored_legacy.is_none());
    let names: Vec<(&str, bool)> = p
        .files
        .iter()
        .map(|f| (f.file.name.as_str(), f.last))
        .collect();
    assert_eq!(
        names,
        [
            ("appendonly.aof.1.base.rdb", false),
            ("appendonly.aof.1.incr.aof", true)
        ]
    );
    assert_eq!(p.total_size(), 89131 + 414);

    let mut model = Model::default();
    let summary = load_plan(&p, &mut model).unwrap();
    assert!(summary.truncated_tail.is_none());
    assert_eq!(summary.outcomes.len(), 2);
    let base = &summary.outcomes[0];
    let info = base.rdb.as_ref().expect("an RDB base");
    assert_eq!(info.aux_value(b"aof-base"), Some(&b"1"[..]));
    assert_eq!(base.resp_start(), 89131);
    assert_eq!(base.resp.commands(), 0);
    assert_eq!(summary.outcomes[1].resp.commands(), 12);
    assert_eq!(model.rdb_parts, 1);
    assert_eq!(model.files.len(), 2);

    let json: serde_json::Value =
        serde_json::from_slice(&vector("redis-7.0.15/appendonlydir.expected.json")).unwrap();
    assert_matches_json(&model, &json);
}

// ---------------------------------------------------------------------------
// Plans over the generated vectors (read only)
// ---------------------------------------------------------------------------

#[test]
fn resp_base_and_truncated_dirs() {
    let gen = vectors_dir().join("generated");
    let p = plan(&gen, "aof-multipart-resp-base", "appendonly.aof").unwrap();
    assert_eq!(p.kind, PlanKind::Load);
    assert_eq!(
        p.manifest
            .files_to_load()
            .map(|f| f.seq)
            .collect::<Vec<_>>(),
        [3, 3]
    );
    let mut model = Model::default();
    let s = load_plan(&p, &mut model);
    // SADD/SET options are outside the model: count commands instead.
    assert!(s.is_err());

    struct Count(Vec<Vec<Vec<u8>>>);
    impl AofSink for Count {
        fn record(&mut self, _: Record) -> Result<(), String> {
            Err("no RDB here".into())
        }
        fn command(&mut self, argv: Vec<Vec<u8>>) -> Result<(), String> {
            self.0.push(argv);
            Ok(())
        }
    }
    let mut c = Count(vec![]);
    let s = load_plan(&p, &mut c).unwrap();
    assert!(s.truncated_tail.is_none());
    assert_eq!(c.0.len(), 15 + 2);

    let p = plan(&gen, "aof-multipart-truncated", "appendonly.aof").unwrap();
    let mut c = Count(vec![]);
    let s = load_plan(&p, &mut c).unwrap();
    assert_eq!(c.0.len(), 17);
    let t = s.truncated_tail.unwrap();
    assert_eq!((t.valid_len, t.file_len), (55, 87));
    assert_eq!(
        t.path,
        gen.join("aof-multipart-truncated/appendonly.aof.3.incr.aof")
    );
    assert_eq!(t.unfinished_multi, None);
}

// ---------------------------------------------------------------------------
// Plans over temp dirs
// ---------------------------------------------------------------------------

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("redraft-aof-dir-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn put(&self, rel: &str, data: &[u8]) -> PathBuf {
        let p = self.0.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, data).unwrap();
        p
    }
    fn aof_dir(&self) -> PathBuf {
        self.0.join("appendonlydir")
    }
    fn plan(&self) -> Result<LoadPlan, redraft_persist::AofError> {
        plan(&self.0, "appendonlydir", "appendonly.aof")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn resp(cmds: &[&[&str]]) -> Vec<u8> {
    let mut out = Vec::new();
    for c in cmds {
        let args: Vec<&[u8]> = c.iter().map(|a| a.as_bytes()).collect();
        encode_command(&mut out, &args);
    }
    out
}

fn load(p: &LoadPlan) -> Model {
    let mut m = Model::default();
    load_plan(p, &mut m).unwrap();
    m
}

fn string_keys(m: &Model) -> Vec<(u32, String, String)> {
    m.keys
        .iter()
        .map(|((db, k), (v, _))| {
            let RdbValue::String(s) = v else { panic!() };
            (
                *db,
                String::from_utf8_lossy(k).into_owned(),
                String::from_utf8_lossy(s).into_owned(),
            )
        })
        .collect()
}

fn s3(db: u32, k: &str, v: &str) -> (u32, String, String) {
    (db, k.to_string(), v.to_string())
}

#[test]
fn legacy_preamble_file_is_upgraded_as_redis_does() {
    let t = TempDir::new("legacy-preamble");
    let legacy = t.put(
        "appendonly.aof",
        &vector("redis-tests-assets/rdb-preamble.aof"),
    );
    let mut p = t.plan().unwrap();
    assert_eq!(p.kind, PlanKind::Load);
    assert!(!p.manifest_found);
    let up = p.upgrade.clone().unwrap();
    assert_eq!(up.legacy_path, legacy);
    assert_eq!(up.target_path, t.aof_dir().join("appendonly.aof"));
    assert_eq!(
        String::from_utf8(p.manifest.to_bytes()).unwrap(),
        "file appendonly.aof seq 1 type b\n"
    );
    assert_eq!(p.files.len(), 1);
    assert_eq!(p.files[0].path, legacy);
    assert!(p.files[0].last);

    // Load before moving anything: k1, k2 from the RDB, k3 from the tail.
    let m = load(&p);
    assert_eq!(
        string_keys(&m),
        [s3(0, "k1", "v1"), s3(0, "k2", "v2"), s3(0, "k3", "v3")]
    );
    assert!(legacy.exists());

    p.apply_upgrade().unwrap();
    assert!(p.upgrade.is_none());
    assert!(!legacy.exists());
    assert_eq!(p.files[0].path, t.aof_dir().join("appendonly.aof"));
    assert_eq!(
        std::fs::read(t.aof_dir().join("appendonly.aof")).unwrap(),
        vector("redis-tests-assets/rdb-preamble.aof")
    );
    assert_eq!(
        std::fs::read_to_string(t.aof_dir().join("appendonly.aof.manifest")).unwrap(),
        "file appendonly.aof seq 1 type b\n"
    );
    // Applying again is a no-op.
    p.apply_upgrade().unwrap();

    // The server then opens the first incr, as Redis does on start.
    let mut man = p.manifest.clone();
    let (incr, created) = man.last_incr_or_new("appendonly.aof");
    assert!(created);
    let mut w = AofIncr::create(&t.aof_dir().join(&incr.name)).unwrap();
    man.persist(&t.aof_dir(), "appendonly.aof").unwrap();
    assert_eq!(
        std::fs::read_to_string(t.aof_dir().join("appendonly.aof.manifest")).unwrap(),
        "file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
    let mut buf = Vec::new();
    encode_select(&mut buf, 0);
    encode_command(&mut buf, &[b"SET", b"k4", b"v4"]);
    w.append(&buf).unwrap();
    w.fsync().unwrap();

    // A restart now sees the multi-part AOF.
    let p = t.plan().unwrap();
    assert!(p.manifest_found && p.upgrade.is_none());
    assert_eq!(p.files.len(), 2);
    let m = load(&p);
    assert_eq!(
        string_keys(&m),
        [
            s3(0, "k1", "v1"),
            s3(0, "k2", "v2"),
            s3(0, "k3", "v3"),
            s3(0, "k4", "v4")
        ]
    );
}

#[test]
fn legacy_resp_file_and_interrupted_upgrade() {
    let t = TempDir::new("legacy-resp");
    t.put(
        "appendonly.aof",
        &resp(&[&["SELECT", "1"], &["SET", "a", "1"]]),
    );
    // An AOF dir without a manifest does not stop the upgrade.
    std::fs::create_dir_all(t.aof_dir()).unwrap();
    let p = t.plan().unwrap();
    assert!(p.upgrade.is_some());
    assert_eq!(string_keys(&load(&p)), [s3(1, "a", "1")]);

    // A crash after the manifest was written but before the move: the next
    // start upgrades again.
    Manifest {
        base: Some(AofFile::new("appendonly.aof", 1, AofKind::Base)),
        ..Default::default()
    }
    .persist(&t.aof_dir(), "appendonly.aof")
    .unwrap();
    let mut p = t.plan().unwrap();
    assert!(p.manifest_found);
    assert!(p.upgrade.is_some(), "interrupted upgrade resumes");
    assert_eq!(p.files[0].path, t.0.join("appendonly.aof"));
    p.apply_upgrade().unwrap();
    let p = t.plan().unwrap();
    assert!(p.upgrade.is_none() && p.ignored_legacy.is_none());
    assert_eq!(string_keys(&load(&p)), [s3(1, "a", "1")]);

    // A manifest with only history entries has nothing to load: upgrade.
    let t = TempDir::new("legacy-history");
    t.put("appendonly.aof", &resp(&[&["SET", "x", "y"]]));
    t.put(
        "appendonlydir/appendonly.aof.manifest",
        b"file appendonly.aof.1.base.rdb seq 1 type h\n",
    );
    let p = t.plan().unwrap();
    assert!(p.upgrade.is_some());
    assert_eq!(
        String::from_utf8(p.manifest.to_bytes()).unwrap(),
        "file appendonly.aof seq 1 type b\nfile appendonly.aof.1.base.rdb seq 1 type h\n"
    );

    // The target already in the dir: Redis would abort; we refuse.
    let t = TempDir::new("legacy-clash");
    t.put("appendonly.aof", &resp(&[&["SET", "x", "y"]]));
    t.put("appendonlydir/appendonly.aof", b"");
    let e = t.plan().unwrap_err();
    assert!(matches!(e.kind(), AofErrorKind::Upgrade(_)), "{e}");
}

#[test]
fn multipart_wins_over_a_legacy_file() {
    let t = TempDir::new("both");
    t.put("appendonly.aof", &resp(&[&["SET", "old", "1"]]));
    t.put(
        "appendonlydir/appendonly.aof.1.base.aof",
        &resp(&[&["SET", "new", "1"]]),
    );
    t.put("appendonlydir/appendonly.aof.1.incr.aof", b"");
    t.put(
        "appendonlydir/appendonly.aof.manifest",
        b"file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
    );
    let p = t.plan().unwrap();
    assert!(p.upgrade.is_none());
    assert_eq!(p.ignored_legacy, Some(t.0.join("appendonly.aof")));
    assert_eq!(string_keys(&load(&p)), [s3(0, "new", "1")]);
}

#[test]
fn nothing_empty_missing_and_bad_manifests() {
    // Nothing at all.
    let t = TempDir::new("nothing");
    let p = t.plan().unwrap();
    assert_eq!(p.kind, PlanKind::NotExist);
    assert!(p.files.is_empty() && p.upgrade.is_none() && !p.manifest_found);
    // An empty AOF dir.
    std::fs::create_dir_all(t.aof_dir()).unwrap();
    assert_eq!(t.plan().unwrap().kind, PlanKind::NotExist);
    // History only.
    t.put(
        "appendonlydir/appendonly.aof.manifest",
        b"file x seq 1 type h\n",
    );
    assert_eq!(t.plan().unwrap().kind, PlanKind::NotExist);

    // Every listed file empty: AOF_EMPTY.
    let t = TempDir::new("empty");
    t.put("appendonlydir/appendonly.aof.1.base.rdb", b"");
    t.put("appendonlydir/appendonly.aof.1.incr.aof", b"");
    t.put(
        "appendonlydir/appendonly.aof.manifest",
        b"file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
    );
    let p = t.plan().unwrap();
    assert_eq!(p.kind, PlanKind::Empty);
    assert_eq!(
        load_plan(&p, &mut Model::default()).unwrap().outcomes.len(),
        0
    );
    // An empty base with a non-empty incr is fine.
    t.put(
        "appendonlydir/appendonly.aof.1.incr.aof",
        &resp(&[&["SET", "k", "v"]]),
    );
    let p = t.plan().unwrap();
    assert_eq!(p.kind, PlanKind::Load);
    let mut m = Model::default();
    let s = load_plan(&p, &mut m).unwrap();
    assert!(s.outcomes[0].is_empty());
    assert_eq!(string_keys(&m), [s3(0, "k", "v")]);

    // A listed file missing (Redis's test: 1.incr missing between base and
    // 2.incr): fatal, naming it.
    let t = TempDir::new("missing");
    t.put(
        "appendonlydir/appendonly.aof.1.base.aof",
        &resp(&[&["SET", "k1", "v1"]]),
    );
    t.put(
        "appendonlydir/appendonly.aof.2.incr.aof",
        &resp(&[&["SET", "k2", "v2"]]),
    );
    t.put(
        "appendonlydir/appendonly.aof.manifest",
        b"file appendonly.aof.1.base.aof seq 1 type b\n\
          file appendonly.aof.1.incr.aof seq 1 type i\n\
          file appendonly.aof.2.incr.aof seq 2 type i\n",
    );
    let e = t.plan().unwrap_err();
    match e.kind() {
        AofErrorKind::MissingFile { name } => assert_eq!(name, "appendonly.aof.1.incr.aof"),
        other => panic!("{other:?}"),
    }
    assert!(
        e.to_string()
            .contains("appendonly.aof.1.incr.aof doesn't exist"),
        "{e}"
    );
    // Discontinuous seqs load fine (Redis's test 13).
    t.put(
        "appendonlydir/appendonly.aof.1.incr.aof",
        &resp(&[&["SET", "k3", "v3"]]),
    );
    let m = load(&t.plan().unwrap());
    assert_eq!(
        string_keys(&m),
        [s3(0, "k1", "v1"), s3(0, "k2", "v2"), s3(0, "k3", "v3")]
    );

    // A malformed manifest is fatal, with Redis's message.
    t.put(
        "appendonlydir/appendonly.aof.manifest",
        b"file appendonly.aof.2.incr.aof seq 2 type i\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
    );
    let e = t.plan().unwrap_err();
    let AofErrorKind::Manifest(me) = e.kind() else {
        panic!("{e}")
    };
    assert_eq!(me.kind, ManifestErrorKind::NonMonotonicSeq);
    assert!(e
        .to_string()
        .contains("Found a non-monotonic sequence number"));
    assert!(e.to_string().contains("appendonly.aof.manifest"));
}

#[test]
fn truncation_is_only_allowed_in_the_last_file() {
    let t = TempDir::new("trunc");
    let mut base = resp(&[&["SET", "a", "1"], &["SET", "b", "2"]]);
    base.truncate(base.len() - 3);
    t.put("appendonlydir/appendonly.aof.1.base.aof", &base);
    t.put(
        "appendonlydir/appendonly.aof.1.incr.aof",
        &resp(&[&["SET", "c", "3"]]),
    );
    t.put(
        "appendonlydir/appendonly.aof.manifest",
        b"file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
    );
    let e = load_plan(&t.plan().unwrap(), &mut Model::default()).unwrap_err();
    assert!(
        matches!(e.kind(), AofErrorKind::TruncatedNotLast { .. }),
        "{e}"
    );
    assert!(e
        .to_string()
        .contains("the truncated file is not the last file"));
    assert_eq!(
        e.path(),
        Some(t.aof_dir().join("appendonly.aof.1.base.aof").as_path())
    );

    // The last file may end in a cut command or an unfinished MULTI.
    t.put(
        "appendonlydir/appendonly.aof.1.base.aof",
        &resp(&[&["SET", "a", "1"]]),
    );
    let incr = resp(&[&["SET", "c", "3"], &["MULTI"], &["SET", "d", "4"]]);
    t.put("appendonlydir/appendonly.aof.1.incr.aof", &incr);
    let mut m = Model::default();
    let s = load_plan(&t.plan().unwrap(), &mut m).unwrap();
    let tail = s.truncated_tail.unwrap();
    let set_c = resp(&[&["SET", "c", "3"]]).len() as u64;
    assert_eq!(tail.valid_len, set_c);
    assert_eq!(tail.unfinished_multi, Some(set_c));
    assert_eq!(tail.file_len, incr.len() as u64);
    assert_eq!(string_keys(&m), [s3(0, "a", "1"), s3(0, "c", "3")]);
}

#[test]
fn each_file_starts_on_db_0() {
    let t = TempDir::new("db0");
    t.put(
        "appendonlydir/appendonly.aof.1.base.aof",
        &resp(&[&["SELECT", "5"], &["SET", "a", "1"]]),
    );
    t.put(
        "appendonlydir/appendonly.aof.1.incr.aof",
        &resp(&[&["SET", "b", "2"]]),
    );
    t.put(
        "appendonlydir/appendonly.aof.manifest",
        b"file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
    );
    let m = load(&t.plan().unwrap());
    assert_eq!(string_keys(&m), [s3(0, "b", "2"), s3(5, "a", "1")]);
    assert_eq!(m.files.len(), 2);
}

#[test]
fn names_must_be_bare() {
    let t = TempDir::new("names");
    for (d, f) in [
        ("a/b", "appendonly.aof"),
        ("appendonlydir", "x/appendonly.aof"),
        ("..", "a"),
        ("d", ""),
    ] {
        let e = plan(&t.0, d, f).unwrap_err();
        assert!(matches!(e.kind(), AofErrorKind::Io(_)), "{d} {f}: {e}");
        assert!(e.to_string().contains("can't be a path"), "{e}");
    }
    // Other names are fine.
    let p = plan(&t.0, "mydir", "my.aof").unwrap();
    assert_eq!(p.kind, PlanKind::NotExist);
    assert_eq!(p.aof_dir, t.0.join("mydir"));
}
