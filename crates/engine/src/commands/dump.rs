//! DUMP and RESTORE (Redis's `cluster.c`): values in Redis's serialization format,
//! interchangeable with real Redis. The format itself lives behind `crate::codec`.

use crate::args::{int, is};
use crate::codec::codec;
use crate::command::{cmd, flags::*, CmdResult, Ctx, EngineCommand, Error, Keys, SYNTAX};
use crate::db::notify;
use crate::object::Object;

pub const COMMANDS: &[EngineCommand] = &[
    cmd(
        "dump",
        2,
        READONLY,
        Keys::one(),
        "generic",
        "2.6.0",
        "Returns a serialized representation of the value stored at a key.",
        dump,
    ),
    cmd(
        "restore",
        -4,
        WRITE | DENYOOM,
        Keys::one(),
        "generic",
        "2.6.0",
        "Creates a key from the serialized representation of a value.",
        restore,
    ),
];

fn no_codec() -> Error {
    Error::new("ERR DUMP/RESTORE are not available: no serialization format installed")
}

fn dump(ctx: &mut Ctx) -> CmdResult {
    let c = codec().ok_or_else(no_codec)?;
    let now = ctx.now;
    match ctx.dbs[ctx.db].lookup_read(ctx.args[1], now) {
        None => ctx.reply.null(),
        Some(o) => {
            let payload = c.dump(&o.value);
            ctx.reply.bulk(&payload);
        }
    }
    Ok(())
}

/// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
fn restore(ctx: &mut Ctx) -> CmdResult {
    let c = codec().ok_or_else(no_codec)?;
    let (mut replace, mut absttl) = (false, false);
    let (mut idle, mut freq): (Option<i64>, Option<i64>) = (None, None);
    let mut i = 4;
    while i < ctx.args.len() {
        let a = ctx.args[i];
        let more = i + 1 < ctx.args.len();
        if is(a, "replace") {
            replace = true;
        } else if is(a, "absttl") {
            absttl = true;
        } else if is(a, "idletime") && more && freq.is_none() {
            let v = int(ctx.args[i + 1])?;
            if v < 0 {
                return Err(Error::new("ERR Invalid IDLETIME value, must be >= 0"));
            }
            idle = Some(v);
            i += 1;
        } else if is(a, "freq") && more && idle.is_none() {
            let v = int(ctx.args[i + 1])?;
            if !(0..=255).contains(&v) {
                return Err(Error::new(
                    "ERR Invalid FREQ value, must be >= 0 and <= 255",
                ));
            }
            freq = Some(v);
            i += 1;
        } else {
            return Err(SYNTAX);
        }
        i += 1;
    }
    let ttl = int(ctx.args[2])?;
    if ttl < 0 {
        return Err(Error::new("ERR Invalid TTL value, must be >= 0"));
    }
    let now = ctx.now;
    let key = ctx.args[1];
    let db = &mut ctx.dbs[ctx.db];
    // As Redis: only without REPLACE is the key looked up (an expired one deleted, with
    // its `expired` event); REPLACE deletes whatever is there, expired or not, below.
    if !replace {
        db.expire_if_needed(key, now);
        if db.keys.contains_key(key) {
            return Err(Error::new("BUSYKEY Target key name already exists."));
        }
    }
    let value = match c.restore(ctx.args[3]) {
        Ok(v) => v,
        Err(true) => return Err(Error::new("ERR DUMP payload version or checksum are wrong")),
        Err(false) => return Err(Error::new("ERR Bad data format")),
    };
    let deadline = if ttl == 0 {
        None
    } else if absttl {
        Some(ttl)
    } else {
        Some(ttl.saturating_add(now))
    };
    let existed = replace && db.remove(key).is_some();
    if deadline.is_some_and(|t| t <= now) {
        // Already expired: Redis deletes (REPLACE) or skips the key and replies OK.
        if existed {
            db.notify(notify::GENERIC, "del", key);
            *ctx.dirty += 1;
        }
        ctx.reply.ok();
        return Ok(());
    }
    let mut obj: Object = db.new_object(value, now);
    if let Some(s) = idle {
        if !db.lfu {
            obj.access = ((now / 1000) - s).max(0) as u32;
        }
    }
    if let Some(f) = freq {
        if db.lfu {
            obj.access = (obj.access & !0xff) | f as u32;
        }
    }
    db.insert_object(key, obj, deadline);
    db.notify(notify::GENERIC, "restore", key);
    *ctx.dirty += 1;
    ctx.reply.ok();
    Ok(())
}
