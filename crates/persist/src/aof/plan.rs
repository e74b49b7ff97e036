//! What to load from a data directory, decided as Redis 7.0's
//! `aofLoadManifestFromDisk` + `loadAppendOnlyFiles` decide it, and a
//! replay of that plan.
//!
//! * `<dir>/<appenddirname>/<appendfilename>.manifest` exists: it is parsed
//!   (a malformed manifest is fatal); the base (if any) is loaded, then every
//!   incr in order; history files are not. A listed file that is missing is
//!   fatal. Empty files are fine; if every listed file is empty there is
//!   nothing to load (`AOF_EMPTY`).
//! * A legacy `<dir>/<appendfilename>` exists and (the AOF directory is
//!   missing, or the manifest is missing or lists neither base nor incr, or
//!   it lists only the base `<appendfilename>` and that file is not in the
//!   directory yet: an upgrade interrupted by a crash): the upgrade path. The
//!   legacy file is loaded as the base (RDB preamble or not) and, through
//!   [`LoadPlan::apply_upgrade`], moved into the directory with the manifest
//!   `file <appendfilename> seq 1 type b`, as `aofUpgradePrepare` does. The
//!   server then opens the first incr (`appendonly.aof.1.incr.aof`) with
//!   [`Manifest::last_incr_or_new`](super::Manifest::last_incr_or_new) and
//!   persists the manifest, as `aofOpenIfNeededOnServerStart` does.
//! * Otherwise, with no base and no incr: nothing exists (`AOF_NOT_EXIST`).
//!
//! Nothing here modifies the disk except [`LoadPlan::apply_upgrade`].

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::manifest::{fsync_dir, manifest_file_name, write_manifest, AofFile, AofKind, Manifest};
use super::reader::{load_file_with, AofSink, FileOutcome};
use super::{AofError, AofErrorKind};

/// What [`plan()`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanKind {
    /// No base and no incr file (Redis: `AOF_NOT_EXIST`): start empty, or
    /// from `dump.rdb`, as the server's policy says.
    NotExist,
    /// Files are listed but every one is empty (`AOF_EMPTY`): nothing to load.
    Empty,
    /// Load [`LoadPlan::files`] in order.
    Load,
}

/// A file to load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedFile {
    pub file: AofFile,
    /// Where the file is now (for a pending upgrade: the legacy file in the
    /// data directory).
    pub path: PathBuf,
    pub size: u64,
    /// The last file: the only one whose tail may be truncated.
    pub last: bool,
}

/// A pending upgrade of a legacy single-file AOF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyUpgrade {
    /// `<dir>/<appendfilename>`.
    pub legacy_path: PathBuf,
    /// `<dir>/<appenddirname>/<appendfilename>`.
    pub target_path: PathBuf,
}

/// The result of [`plan()`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadPlan {
    /// The data directory (`dir`).
    pub dir: PathBuf,
    /// `<dir>/<appenddirname>`.
    pub aof_dir: PathBuf,
    pub appendfilename: String,
    /// The manifest as read, or, for an upgrade, as it will be written.
    pub manifest: Manifest,
    /// Whether a manifest file was found and parsed.
    pub manifest_found: bool,
    pub kind: PlanKind,
    /// Base first, then incrs; history files are never listed here.
    pub files: Vec<PlannedFile>,
    /// Set when the legacy file is to be upgraded; see
    /// [`LoadPlan::apply_upgrade`].
    pub upgrade: Option<LegacyUpgrade>,
    /// A legacy `<dir>/<appendfilename>` that exists but is ignored because a
    /// multi-part AOF takes precedence (worth a log line).
    pub ignored_legacy: Option<PathBuf>,
}

impl LoadPlan {
    /// Total size of the files to load.
    pub fn total_size(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }

    /// Performs the pending legacy upgrade (`aofUpgradePrepare`): creates the
    /// AOF directory (mode 0755) if needed, writes the manifest atomically,
    /// moves the legacy file into the directory, and fsyncs both
    /// directories. The planned base then points at its new place. Does
    /// nothing without a pending upgrade. Redis does this before loading; it
    /// can equally be done after a successful load, which leaves the legacy
    /// file where it was if it turns out to be corrupt. A crash in between is
    /// safe: the next [`plan()`] sees the same upgrade again.
    pub fn apply_upgrade(&mut self) -> Result<(), AofError> {
        let Some(up) = self.upgrade.clone() else {
            return Ok(());
        };
        let mut b = fs::DirBuilder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            b.mode(0o755);
        }
        match b.create(&self.aof_dir) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(AofError::io(e).with_path(&self.aof_dir)),
        }
        if exists(&up.target_path)? {
            return Err(target_exists(&up.target_path));
        }
        write_manifest(&self.aof_dir, &self.appendfilename, &self.manifest)?;
        fs::rename(&up.legacy_path, &up.target_path)
            .map_err(|e| AofError::io(e).with_path(&up.legacy_path))?;
        fsync_dir(&self.aof_dir).map_err(|e| AofError::io(e).with_path(&self.aof_dir))?;
        fsync_dir(&self.dir).map_err(|e| AofError::io(e).with_path(&self.dir))?;
        for f in &mut self.files {
            if f.path == up.legacy_path {
                f.path = up.target_path.clone();
            }
        }
        self.upgrade = None;
        Ok(())
    }
}

fn target_exists(target: &Path) -> AofError {
    AofError::new(AofErrorKind::Upgrade(
        "the AOF directory already holds a file of that name (Redis would abort here)".into(),
    ))
    .with_path(target)
}

/// `stat` follows symlinks; NotFound is `None`, other errors are errors (a
/// permission problem must not look like "no AOF").
fn stat(p: &Path) -> Result<Option<fs::Metadata>, AofError> {
    match fs::metadata(p) {
        Ok(m) => Ok(Some(m)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(AofError::io(e).with_path(p)),
    }
}

fn exists(p: &Path) -> Result<bool, AofError> {
    Ok(stat(p)?.is_some())
}

/// Redis's `fileExist`: a regular file.
fn is_file(p: &Path) -> Result<bool, AofError> {
    Ok(stat(p)?.is_some_and(|m| m.is_file()))
}

/// Redis's `dirExists`.
fn is_dir(p: &Path) -> Result<bool, AofError> {
    Ok(stat(p)?.is_some_and(|m| m.is_dir()))
}

/// Decides what to load from data directory `dir` (see the module docs).
/// Errors: `appenddirname` or `appendfilename` not a bare name, a malformed
/// manifest, a listed file missing, an upgrade whose target already exists,
/// I/O errors other than "not found". A pending upgrade is reported whatever
/// the [`PlanKind`] (Redis upgrades an empty legacy file too).
pub fn plan(dir: &Path, appenddirname: &str, appendfilename: &str) -> Result<LoadPlan, AofError> {
    // Redis's config checks (`isValidAOFfilename`, `isValidAOFdirname`).
    for (what, name) in [
        ("appenddirname", appenddirname),
        ("appendfilename", appendfilename),
    ] {
        if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\\']) {
            return Err(AofError::io(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{what} {name:?} can't be a path, just a name"),
            )));
        }
    }
    let aof_dir = dir.join(appenddirname);
    let dir_exists = is_dir(&aof_dir)?;
    let manifest_path = aof_dir.join(manifest_file_name(appendfilename));
    let (mut manifest, manifest_found) = if dir_exists && is_file(&manifest_path)? {
        (Manifest::read(&manifest_path)?, true)
    } else {
        (Manifest::default(), false)
    };

    let legacy_path = dir.join(appendfilename);
    let mut upgrade = None;
    let mut ignored_legacy = None;
    if is_file(&legacy_path)? {
        let target_path = aof_dir.join(appendfilename);
        let interrupted_upgrade = manifest
            .base
            .as_ref()
            .is_some_and(|b| b.name == appendfilename)
            && manifest.incrs.is_empty()
            && !is_file(&target_path)?;
        if !dir_exists || manifest.has_nothing_to_load() || interrupted_upgrade {
            if exists(&target_path)? {
                return Err(target_exists(&target_path));
            }
            manifest.set_legacy_base(appendfilename);
            upgrade = Some(LegacyUpgrade {
                legacy_path: legacy_path.clone(),
                target_path,
            });
        } else {
            ignored_legacy = Some(legacy_path.clone());
        }
    }

    let to_load: Vec<AofFile> = manifest.files_to_load().cloned().collect();
    let n = to_load.len();
    let mut files = Vec::with_capacity(n);
    for (i, file) in to_load.into_iter().enumerate() {
        let path = if upgrade.is_some() && file.kind == AofKind::Base {
            legacy_path.clone()
        } else {
            aof_dir.join(&file.name)
        };
        let Some(meta) = stat(&path)? else {
            return Err(AofError::new(AofErrorKind::MissingFile {
                name: file.name.clone(),
            })
            .with_path(&path));
        };
        files.push(PlannedFile {
            file,
            path,
            size: meta.len(),
            last: i + 1 == n,
        });
    }
    let kind = if files.is_empty() {
        PlanKind::NotExist
    } else if files.iter().all(|f| f.size == 0) {
        PlanKind::Empty
    } else {
        PlanKind::Load
    };
    Ok(LoadPlan {
        dir: dir.to_path_buf(),
        aof_dir,
        appendfilename: appendfilename.to_string(),
        manifest,
        manifest_found,
        kind,
        files,
        upgrade,
        ignored_legacy,
    })
}

/// The last file's incomplete tail, found by [`load_plan`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TruncatedTail {
    pub path: PathBuf,
    /// Truncate to this length (with `aof-load-truncated yes`; see
    /// [`truncate_file`](super::truncate_file)).
    pub valid_len: u64,
    pub file_len: u64,
    /// Offset of an unfinished `MULTI`, when that is the cause.
    pub unfinished_multi: Option<u64>,
}

/// What [`load_plan`] loaded.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LoadSummary {
    /// One per planned file, in order (none for `NotExist` / `Empty` plans).
    pub outcomes: Vec<FileOutcome>,
    /// Set when the last file ends in an incomplete command or transaction.
    /// Its complete commands were replayed; the tail was not. With
    /// `aof-load-truncated no` the server must refuse to start; with `yes`
    /// it truncates the file to `valid_len` and goes on.
    pub truncated_tail: Option<TruncatedTail>,
}

/// Replays a plan into `sink`, as `loadAppendOnlyFiles` does: every file in
/// order ([`AofSink::begin_file`] before each: a new file starts on DB 0),
/// failing if a file other than the last ends truncated. Does not modify any
/// file (the truncation and the upgrade are the caller's decisions). For a
/// `NotExist` or `Empty` plan this loads nothing.
pub fn load_plan<S: AofSink + ?Sized>(
    plan: &LoadPlan,
    sink: &mut S,
) -> Result<LoadSummary, AofError> {
    let mut summary = LoadSummary::default();
    if plan.kind != PlanKind::Load {
        return Ok(summary);
    }
    for pf in &plan.files {
        let out = load_file_with(&pf.path, sink)?;
        if let super::ReadOutcome::Truncated {
            valid_len,
            len,
            unfinished_multi,
            ..
        } = out.resp
        {
            if !pf.last {
                return Err(
                    AofError::new(AofErrorKind::TruncatedNotLast { valid_len, len })
                        .with_path(&pf.path),
                );
            }
            summary.truncated_tail = Some(TruncatedTail {
                path: pf.path.clone(),
                valid_len,
                file_len: out.file_len,
                unfinished_multi,
            });
        }
        summary.outcomes.push(out);
    }
    Ok(summary)
}
