//! The engine's command families, one file each, named as Redis names its sources
//! (`t_string.c` -> `string.rs`, `bitops.c` -> `bitops.rs`, `db.c` -> `keyspace.rs`,
//! `expire.c` -> `expire.rs`, `sort.c` -> `sort.rs`), and the lookup from a command
//! name to its table entry.

pub mod bitops;
pub mod dump;
pub mod expire;
pub mod hash;
pub mod hyperloglog;
pub mod keyspace;
pub mod list;
#[cfg(test)]
mod notify_tests;
pub mod scripting;
pub mod set;
pub mod sort;
pub mod string;
pub mod zset;

use crate::command::{EngineCommand, Error, WRONGTYPE};
use crate::db::Db;
use crate::object::Value;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

/// Every family's table.
pub const FAMILIES: &[&[EngineCommand]] = &[
    string::COMMANDS,
    bitops::COMMANDS,
    keyspace::COMMANDS,
    dump::COMMANDS,
    expire::COMMANDS,
    sort::COMMANDS,
    list::COMMANDS,
    hash::COMMANDS,
    set::COMMANDS,
    zset::COMMANDS,
    hyperloglog::COMMANDS,
    scripting::COMMANDS,
];

/// All engine commands.
pub fn all() -> impl Iterator<Item = &'static EngineCommand> {
    FAMILIES.iter().flat_map(|f| f.iter())
}

type Table = HashMap<&'static [u8], &'static EngineCommand, foldhash::fast::RandomState>;

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| all().map(|c| (c.name.as_bytes(), c)).collect())
}

/// Finds a command by name, case-insensitively, without allocating.
pub fn lookup(name: &[u8]) -> Option<&'static EngineCommand> {
    let mut buf = [0u8; 32];
    if name.len() > buf.len() {
        return None;
    }
    let lower = &mut buf[..name.len()];
    lower.copy_from_slice(name);
    lower.make_ascii_lowercase();
    table().get(&*lower).copied()
}

/// Redis's arity error; the name is the table's (lower-case, `container|sub`).
pub fn wrong_arity(args: &[&[u8]]) -> String {
    let mut name =
        String::from_utf8_lossy(args.first().copied().unwrap_or_default()).to_lowercase();
    if let Some(c) = lookup(args.first().copied().unwrap_or_default()) {
        if !c.subcommands.is_empty() && args.len() >= 2 {
            name.push('|');
            name.push_str(&String::from_utf8_lossy(args[1]).to_lowercase());
        }
    }
    format!("ERR wrong number of arguments for '{name}' command")
}

/// Redis's unknown-subcommand error.
pub fn unknown_subcommand(args: &[&[u8]]) -> String {
    let sub = String::from_utf8_lossy(args.get(1).copied().unwrap_or_default());
    let sub: String = sub.chars().take(128).collect();
    format!(
        "ERR unknown subcommand '{}'. Try {} HELP.",
        sub,
        String::from_utf8_lossy(args[0]).to_uppercase()
    )
}

/// The bytes of a string value (integers are formatted).
pub fn string_bytes(v: &Value) -> Result<Cow<'_, [u8]>, Error> {
    match v {
        Value::Str(s) => Ok(Cow::Borrowed(s)),
        Value::Int(i) => Ok(Cow::Owned(i.to_string().into_bytes())),
        Value::Buf(b) => Ok(Cow::Borrowed(b)),
        #[allow(unreachable_patterns)]
        _ => Err(WRONGTYPE),
    }
}

/// Reads a string key for a read command: None if absent, WRONGTYPE if not a string.
pub fn read_string<'a>(
    db: &'a mut Db,
    key: &[u8],
    now: i64,
) -> Result<Option<Cow<'a, [u8]>>, Error> {
    match db.lookup_read(key, now) {
        None => Ok(None),
        Some(o) => string_bytes(&o.value).map(Some),
    }
}

/// Fails with WRONGTYPE unless the value is a string.
pub fn expect_string(v: &Value) -> Result<(), Error> {
    match v {
        Value::Str(_) | Value::Int(_) | Value::Buf(_) => Ok(()),
        #[allow(unreachable_patterns)]
        _ => Err(WRONGTYPE),
    }
}
