//! String commands (Redis's `t_string.c`).

use super::{read_string, string_bytes};
use crate::args::{int, is};
use crate::command::{cmd, flags::*, CmdResult, Ctx, EngineCommand, Error, Keys, SYNTAX};
use crate::object::Value;

pub const COMMANDS: &[EngineCommand] = &[
    cmd("get", 2, READONLY | FAST, Keys::one(), "string", "1.0.0", "Returns the string value of a key.", get),
    cmd("set", -3, WRITE | DENYOOM, Keys::one(), "string", "1.0.0", "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.", set),
];

fn get(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now;
    let key = ctx.arg(1);
    match read_string(&mut ctx.dbs[ctx.db], key, now)? {
        Some(v) => ctx.reply.bulk(&v),
        None => ctx.reply.null(),
    }
    Ok(())
}

/// How an expiry argument is expressed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ExpireUnit {
    Seconds,
    Millis,
}

/// Turns an expiry argument into an absolute deadline in ms, as Redis's
/// `getExpireMillisecondsOrReply` (same checks, same error naming the command).
pub fn expire_deadline(
    ctx: &Ctx,
    arg: &[u8],
    unit: ExpireUnit,
    absolute: bool,
) -> Result<i64, Error> {
    let v = int(arg)?;
    let invalid = || {
        Error::err(format!(
            "invalid expire time in '{}' command",
            String::from_utf8_lossy(ctx.args[0]).to_lowercase()
        ))
    };
    if v <= 0 || (unit == ExpireUnit::Seconds && v > i64::MAX / 1000) {
        return Err(invalid());
    }
    let ms = if unit == ExpireUnit::Seconds {
        v * 1000
    } else {
        v
    };
    if absolute {
        Ok(ms)
    } else {
        ms.checked_add(ctx.now).ok_or_else(invalid)
    }
}

/// SET key value [NX | XX] [GET] [EX s | PX ms | EXAT ts | PXAT ts-ms | KEEPTTL]
fn set(ctx: &mut Ctx) -> CmdResult {
    let (mut nx, mut xx, mut get, mut keepttl) = (false, false, false, false);
    let mut expire: Option<(usize, ExpireUnit, bool)> = None;
    let mut i = 3;
    while i < ctx.args.len() {
        let a = ctx.arg(i);
        let has_next = i + 1 < ctx.args.len();
        if is(a, "nx") && !xx {
            nx = true;
        } else if is(a, "xx") && !nx {
            xx = true;
        } else if is(a, "get") {
            get = true;
        } else if is(a, "keepttl") && expire.is_none() {
            keepttl = true;
        } else if !keepttl && has_next {
            let spec = if is(a, "ex") {
                (ExpireUnit::Seconds, false)
            } else if is(a, "px") {
                (ExpireUnit::Millis, false)
            } else if is(a, "exat") {
                (ExpireUnit::Seconds, true)
            } else if is(a, "pxat") {
                (ExpireUnit::Millis, true)
            } else {
                return Err(SYNTAX);
            };
            // One form of expiry only; repeating the same form keeps the last value.
            if let Some((_, u, abs)) = expire {
                if (u, abs) != spec {
                    return Err(SYNTAX);
                }
            }
            expire = Some((i + 1, spec.0, spec.1));
            i += 1;
        } else {
            return Err(SYNTAX);
        }
        i += 1;
    }
    let deadline = match expire {
        Some((pos, unit, abs)) => Some(expire_deadline(ctx, ctx.arg(pos), unit, abs)?),
        None => None,
    };
    let now = ctx.now;
    let key = ctx.arg(1);
    let db = &mut ctx.dbs[ctx.db];
    db.expire_if_needed(key, now);
    let old = db.keys.get(key);
    if get {
        match old {
            Some(o) => {
                let v = string_bytes(&o.value)?;
                ctx.reply.bulk(&v);
            }
            None => ctx.reply.null(),
        }
    }
    let found = old.is_some();
    if (nx && found) || (xx && !found) {
        if !get {
            ctx.reply.null();
        }
        return Ok(());
    }
    db.set(key, Value::string(ctx.args[2]), keepttl, now);
    if let Some(t) = deadline {
        db.set_expire(key, t);
    }
    *ctx.dirty += 1;
    if !get {
        ctx.reply.ok();
    }
    Ok(())
}
