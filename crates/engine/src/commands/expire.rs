//! Expiry commands (Redis's `expire.c`) and the sampling half of the active expire
//! cycle.
//!
//! Deadlines are absolute milliseconds. A deadline at or before the entry's time
//! deletes the key at once (Redis 7: `EXPIRE k -1` deletes and replies 1); since every
//! node applies the same entry with the same time, that is deterministic.

use super::keyspace::{lookup_notouch, touch_for_write};
use crate::args::{int, is};
use crate::command::{cmd, flags::*, CmdResult, Ctx, EngineCommand, Error, Keys};
use crate::db::{notify, Db};
use crate::rng::Rng;

pub const COMMANDS: &[EngineCommand] = &[
    cmd(
        "expire",
        -3,
        WRITE | FAST,
        Keys::one(),
        "generic",
        "1.0.0",
        "Sets the expiration time of a key in seconds.",
        expire,
    ),
    cmd(
        "pexpire",
        -3,
        WRITE | FAST,
        Keys::one(),
        "generic",
        "2.6.0",
        "Sets the expiration time of a key in milliseconds.",
        pexpire,
    ),
    cmd(
        "expireat",
        -3,
        WRITE | FAST,
        Keys::one(),
        "generic",
        "1.2.0",
        "Sets the expiration time of a key to a Unix timestamp.",
        expireat,
    ),
    cmd(
        "pexpireat",
        -3,
        WRITE | FAST,
        Keys::one(),
        "generic",
        "2.6.0",
        "Sets the expiration time of a key to a Unix milliseconds timestamp.",
        pexpireat,
    ),
    cmd(
        "ttl",
        2,
        READONLY | FAST,
        Keys::one(),
        "generic",
        "1.0.0",
        "Returns the expiration time in seconds of a key.",
        ttl,
    ),
    cmd(
        "pttl",
        2,
        READONLY | FAST,
        Keys::one(),
        "generic",
        "2.6.0",
        "Returns the expiration time in milliseconds of a key.",
        pttl,
    ),
    cmd(
        "expiretime",
        2,
        READONLY | FAST,
        Keys::one(),
        "generic",
        "7.0.0",
        "Returns the expiration time of a key as a Unix timestamp.",
        expiretime,
    ),
    cmd(
        "pexpiretime",
        2,
        READONLY | FAST,
        Keys::one(),
        "generic",
        "7.0.0",
        "Returns the expiration time of a key as a Unix milliseconds timestamp.",
        pexpiretime,
    ),
    cmd(
        "persist",
        2,
        WRITE | FAST,
        Keys::one(),
        "generic",
        "2.2.0",
        "Removes the expiration time of a key.",
        persist,
    ),
];

fn expire(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now;
    expire_generic(ctx, now, true)
}

fn pexpire(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now;
    expire_generic(ctx, now, false)
}

fn expireat(ctx: &mut Ctx) -> CmdResult {
    expire_generic(ctx, 0, true)
}

fn pexpireat(ctx: &mut Ctx) -> CmdResult {
    expire_generic(ctx, 0, false)
}

/// The NX / XX / GT / LT conditions of the EXPIRE family.
#[derive(Clone, Copy, Default)]
struct Conditions {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

/// Redis's `parseExtendedExpireArgumentsOrReply`: every argument after the time is an
/// option, checked before the time itself.
fn parse_conditions(args: &[&[u8]]) -> Result<Conditions, Error> {
    let mut c = Conditions::default();
    for &a in args.iter().skip(3) {
        if is(a, "nx") {
            c.nx = true;
        } else if is(a, "xx") {
            c.xx = true;
        } else if is(a, "gt") {
            c.gt = true;
        } else if is(a, "lt") {
            c.lt = true;
        } else {
            return Err(Error::err(format!(
                "Unsupported option {}",
                String::from_utf8_lossy(a)
            )));
        }
    }
    if c.nx && (c.xx || c.gt || c.lt) {
        return Err(Error::new(
            "ERR NX and XX, GT or LT options at the same time are not compatible",
        ));
    }
    if c.gt && c.lt {
        return Err(Error::new(
            "ERR GT and LT options at the same time are not compatible",
        ));
    }
    Ok(c)
}

/// EXPIRE / PEXPIRE / EXPIREAT / PEXPIREAT key time [NX | XX | GT | LT]
///
/// `basetime` is the entry's time for the relative forms and 0 for the absolute ones.
fn expire_generic(ctx: &mut Ctx, basetime: i64, seconds: bool) -> CmdResult {
    let cond = parse_conditions(ctx.args)?;
    let invalid = || {
        Error::err(format!(
            "invalid expire time in '{}' command",
            String::from_utf8_lossy(ctx.args[0]).to_lowercase()
        ))
    };
    let mut when = int(ctx.args[2])?;
    if seconds {
        if !(i64::MIN / 1000..=i64::MAX / 1000).contains(&when) {
            return Err(invalid());
        }
        when *= 1000;
    }
    let when = when.checked_add(basetime).ok_or_else(invalid)?;
    let (now, key) = (ctx.now, ctx.args[1]);
    let db = &mut ctx.dbs[ctx.db];
    let lfu = db.lfu;
    match db.get_mut(key, now) {
        Some(o) => touch_for_write(o, lfu, now),
        None => {
            ctx.reply.int(0);
            return Ok(());
        }
    }
    let current = db.expire_of(key);
    let refused = (cond.nx && current.is_some())
        || (cond.xx && current.is_none())
        || (cond.gt && !matches!(current, Some(c) if when > c))
        || (cond.lt && matches!(current, Some(c) if when >= c));
    if refused {
        ctx.reply.int(0);
        return Ok(());
    }
    if when <= now {
        // Already past: the key goes now (Redis propagates this as a DEL).
        db.remove(key);
        db.notify(notify::GENERIC, "del", key);
    } else {
        db.set_expire(key, when);
        db.notify(notify::GENERIC, "expire", key);
    }
    *ctx.dirty += 1;
    ctx.reply.int(1);
    Ok(())
}

fn ttl(ctx: &mut Ctx) -> CmdResult {
    ttl_generic(ctx, false, false)
}

fn pttl(ctx: &mut Ctx) -> CmdResult {
    ttl_generic(ctx, true, false)
}

fn expiretime(ctx: &mut Ctx) -> CmdResult {
    ttl_generic(ctx, false, true)
}

fn pexpiretime(ctx: &mut Ctx) -> CmdResult {
    ttl_generic(ctx, true, true)
}

/// TTL / PTTL / EXPIRETIME / PEXPIRETIME: -2 if the key does not exist, -1 if it has no
/// deadline. Seconds are rounded to the nearest (`(ms + 500) / 1000`), as Redis, for
/// the absolute forms too.
fn ttl_generic(ctx: &mut Ctx, millis: bool, absolute: bool) -> CmdResult {
    let (now, key) = (ctx.now, ctx.args[1]);
    let db = &mut ctx.dbs[ctx.db];
    if lookup_notouch(db, key, now).is_none() {
        ctx.reply.int(-2);
        return Ok(());
    }
    let Some(at) = db.expire_of(key) else {
        ctx.reply.int(-1);
        return Ok(());
    };
    let ttl = if absolute { at } else { at.saturating_sub(now) }.max(0);
    // Redis's `(ttl+500)/1000` overflows for deadlines near i64::MAX and comes out as
    // the unsigned result; wide arithmetic gives the same.
    ctx.reply.int(if millis {
        ttl
    } else {
        ((ttl as i128 + 500) / 1000) as i64
    });
    Ok(())
}

fn persist(ctx: &mut Ctx) -> CmdResult {
    let (now, key) = (ctx.now, ctx.args[1]);
    let db = &mut ctx.dbs[ctx.db];
    let lfu = db.lfu;
    let removed = match db.get_mut(key, now) {
        Some(o) => {
            touch_for_write(o, lfu, now);
            db.persist(key)
        }
        None => false,
    };
    if removed {
        db.notify(notify::GENERIC, "persist", key);
        *ctx.dirty += 1;
    }
    ctx.reply.int(removed as i64);
    Ok(())
}

/// Keys sampled per round, as Redis's `ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP`.
const SAMPLE: usize = 20;

/// The sampling half of Redis's `activeExpireCycle`, for the node that may delete (the
/// server turns the result into DEL entries). Draws rounds of ~20 random entries of
/// `db.expires` with `rng`, collects those whose deadline is at or before `now`, and
/// goes on while more than 25% of a round was newly found expired, stopping at `max`
/// keys. Never mutates; keys are returned at most once, in the order found.
pub fn active_expire_sample(db: &Db, now: i64, rng: &mut Rng, max: usize) -> Vec<Box<[u8]>> {
    let mut found: Vec<Box<[u8]>> = Vec::new();
    let n = db.expires.len();
    if n == 0 || max == 0 {
        return found;
    }
    let mut taken = std::collections::HashSet::new();
    loop {
        let round = SAMPLE.min(n);
        let mut fresh = 0;
        for _ in 0..round {
            let i = rng.below(n);
            let Some((key, &at)) = db.expires.get_index(i) else {
                continue;
            };
            if at <= now && taken.insert(i) {
                found.push(key.clone());
                fresh += 1;
                if found.len() >= max {
                    return found;
                }
            }
        }
        // Each further round needs > 25% new finds, so this ends within `max` rounds.
        if fresh * 4 <= round {
            return found;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::active_expire_sample;
    use crate::commands::lookup;
    use crate::{Db, Engine, Protocol, Reply, Rng, Value};

    const T: i64 = 1_700_000_000_000;

    fn run_at(e: &mut Engine, now: i64, args: &[&str]) -> String {
        let argv: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        let c = lookup(argv[0]).expect("command exists");
        let mut reply = Reply::new(Protocol::Resp2);
        e.run(c, 0, now, 1, &argv, &mut reply);
        String::from_utf8_lossy(&reply.buf).into_owned()
    }

    fn run(e: &mut Engine, args: &[&str]) -> String {
        run_at(e, T, args)
    }

    fn set(e: &mut Engine, k: &str) {
        e.dbs[0].set(k.as_bytes(), Value::string(b"v"), false, T);
    }

    #[test]
    fn expire_sets_relative_and_absolute_deadlines() {
        let mut e = Engine::default();
        set(&mut e, "k");
        assert_eq!(run(&mut e, &["expire", "k", "100"]), ":1\r\n");
        assert_eq!(e.dbs[0].expire_of(b"k"), Some(T + 100_000));
        assert_eq!(run(&mut e, &["pexpire", "k", "1500"]), ":1\r\n");
        assert_eq!(e.dbs[0].expire_of(b"k"), Some(T + 1500));
        assert_eq!(run(&mut e, &["expireat", "k", "1800000000"]), ":1\r\n");
        assert_eq!(e.dbs[0].expire_of(b"k"), Some(1_800_000_000_000));
        assert_eq!(run(&mut e, &["PEXPIREAT", "k", "1800000000123"]), ":1\r\n");
        assert_eq!(e.dbs[0].expire_of(b"k"), Some(1_800_000_000_123));
        assert_eq!(e.dirty, 4);
        assert_eq!(run(&mut e, &["expire", "nokey", "100"]), ":0\r\n");
        assert_eq!(e.dirty, 4);
    }

    #[test]
    fn past_deadline_deletes() {
        let mut e = Engine::default();
        set(&mut e, "k");
        assert_eq!(run(&mut e, &["expire", "k", "-1"]), ":1\r\n");
        assert_eq!(e.dbs[0].len(), 0);
        set(&mut e, "k");
        assert_eq!(run(&mut e, &["pexpire", "k", "0"]), ":1\r\n");
        assert_eq!(e.dbs[0].len(), 0);
        set(&mut e, "k");
        // Exactly now counts as past.
        assert_eq!(run(&mut e, &["pexpireat", "k", &T.to_string()]), ":1\r\n");
        assert_eq!(e.dbs[0].len(), 0);
        set(&mut e, "k");
        assert_eq!(run(&mut e, &["expireat", "k", "1"]), ":1\r\n");
        assert_eq!(e.dbs[0].len(), 0);
        assert_eq!(e.dirty, 4);
        // An expired key is absent for EXPIRE.
        set(&mut e, "k");
        e.dbs[0].set_expire(b"k", T);
        assert_eq!(run(&mut e, &["expire", "k", "100"]), ":0\r\n");
        assert_eq!(e.dbs[0].len(), 0);
    }

    #[test]
    fn options() {
        let mut e = Engine::default();
        set(&mut e, "k");
        assert_eq!(run(&mut e, &["expire", "k", "100", "xx"]), ":0\r\n");
        assert_eq!(run(&mut e, &["expire", "k", "100", "gt"]), ":0\r\n");
        assert_eq!(run(&mut e, &["expire", "k", "100", "NX"]), ":1\r\n");
        assert_eq!(run(&mut e, &["expire", "k", "200", "nx"]), ":0\r\n");
        assert_eq!(run(&mut e, &["expire", "k", "200", "xx"]), ":1\r\n");
        assert_eq!(run(&mut e, &["expire", "k", "200", "gt"]), ":0\r\n");
        assert_eq!(run(&mut e, &["expire", "k", "300", "gt"]), ":1\r\n");
        assert_eq!(run(&mut e, &["expire", "k", "300", "lt"]), ":0\r\n");
        assert_eq!(run(&mut e, &["expire", "k", "50", "lt", "xx"]), ":1\r\n");
        assert_eq!(e.dbs[0].expire_of(b"k"), Some(T + 50_000));
        // LT without a deadline always succeeds (no deadline is infinite).
        set(&mut e, "p");
        assert_eq!(run(&mut e, &["expire", "p", "100", "lt"]), ":1\r\n");
        // Conditions are checked before an already-past time deletes.
        assert_eq!(run(&mut e, &["expire", "p", "-1", "gt"]), ":0\r\n");
        assert_eq!(run(&mut e, &["expire", "p", "-1", "lt"]), ":1\r\n");
        assert_eq!(e.dbs[0].len(), 1);
    }

    #[test]
    fn errors() {
        let mut e = Engine::default();
        set(&mut e, "k");
        assert_eq!(
            run(&mut e, &["expire", "k", "10", "nx", "xx"]),
            "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"
        );
        assert_eq!(
            run(&mut e, &["expire", "k", "10", "nx", "gt"]),
            "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"
        );
        assert_eq!(
            run(&mut e, &["expire", "k", "10", "gt", "lt"]),
            "-ERR GT and LT options at the same time are not compatible\r\n"
        );
        // XX with GT/LT is allowed.
        assert_eq!(run(&mut e, &["expire", "k", "10", "xx", "gt"]), ":0\r\n");
        assert_eq!(
            run(&mut e, &["expire", "k", "10", "foo"]),
            "-ERR Unsupported option foo\r\n"
        );
        // Options are checked before the number.
        assert_eq!(
            run(&mut e, &["expire", "k", "abc", "foo"]),
            "-ERR Unsupported option foo\r\n"
        );
        assert_eq!(
            run(&mut e, &["expire", "k", "1.5"]),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(
            run(&mut e, &["expire", "k", "9223372036854775807"]),
            "-ERR invalid expire time in 'expire' command\r\n"
        );
        assert_eq!(
            run(&mut e, &["expire", "k", "-9223372036854775807"]),
            "-ERR invalid expire time in 'expire' command\r\n"
        );
        assert_eq!(
            run(&mut e, &["PEXPIRE", "k", "9223372036854775807"]),
            "-ERR invalid expire time in 'pexpire' command\r\n"
        );
        assert_eq!(
            run(&mut e, &["expireat", "k", "9223372036854775807"]),
            "-ERR invalid expire time in 'expireat' command\r\n"
        );
        // The overflow check comes before the key lookup.
        assert_eq!(
            run(&mut e, &["pexpire", "nokey", "9223372036854775807"]),
            "-ERR invalid expire time in 'pexpire' command\r\n"
        );
        // PEXPIREAT takes the whole range; a huge negative time just deletes.
        assert_eq!(
            run(&mut e, &["pexpireat", "k", "9223372036854775807"]),
            ":1\r\n"
        );
        assert_eq!(
            run(&mut e, &["pexpire", "k", "-9223372036854775808"]),
            ":1\r\n"
        );
        assert_eq!(e.dbs[0].len(), 0);
        assert_eq!(
            run(&mut e, &["expire", "k"]),
            "-ERR wrong number of arguments for 'expire' command\r\n"
        );
        assert_eq!(e.dirty, 2);
    }

    #[test]
    fn ttl_family() {
        let mut e = Engine::default();
        for c in ["ttl", "pttl", "expiretime", "pexpiretime"] {
            assert_eq!(run(&mut e, &[c, "nokey"]), ":-2\r\n");
        }
        set(&mut e, "k");
        for c in ["ttl", "pttl", "expiretime", "pexpiretime"] {
            assert_eq!(run(&mut e, &[c, "k"]), ":-1\r\n");
        }
        e.dbs[0].set_expire(b"k", T + 1499);
        assert_eq!(run(&mut e, &["ttl", "k"]), ":1\r\n");
        assert_eq!(run(&mut e, &["pttl", "k"]), ":1499\r\n");
        e.dbs[0].set_expire(b"k", T + 1500);
        assert_eq!(run(&mut e, &["ttl", "k"]), ":2\r\n");
        e.dbs[0].set_expire(b"k", 99_999_999_999_600);
        assert_eq!(run(&mut e, &["expiretime", "k"]), ":100000000000\r\n");
        assert_eq!(run(&mut e, &["pexpiretime", "k"]), ":99999999999600\r\n");
        e.dbs[0].set_expire(b"k", 99_999_999_999_499);
        assert_eq!(run(&mut e, &["expiretime", "k"]), ":99999999999\r\n");
        // At the deadline the key is gone.
        assert_eq!(run_at(&mut e, 99_999_999_999_499, &["ttl", "k"]), ":-2\r\n");
        assert_eq!(run_at(&mut e, 99_999_999_999_498, &["pttl", "k"]), ":1\r\n");
        // Near i64::MAX, as Redis replies.
        e.dbs[0].set_expire(b"k", i64::MAX);
        assert_eq!(run(&mut e, &["expiretime", "k"]), ":9223372036854776\r\n");
    }

    #[test]
    fn persist_command() {
        let mut e = Engine::default();
        assert_eq!(run(&mut e, &["persist", "nokey"]), ":0\r\n");
        set(&mut e, "k");
        assert_eq!(run(&mut e, &["persist", "k"]), ":0\r\n");
        e.dbs[0].set_expire(b"k", T + 10);
        assert_eq!(run(&mut e, &["persist", "k"]), ":1\r\n");
        assert_eq!(run(&mut e, &["ttl", "k"]), ":-1\r\n");
        assert_eq!(e.dirty, 1);
        e.dbs[0].set_expire(b"k", T);
        assert_eq!(run(&mut e, &["persist", "k"]), ":0\r\n");
        assert_eq!(e.dbs[0].len(), 0);
    }

    fn db_with(live: usize, expired: usize) -> Db {
        let mut db = Db::default();
        for i in 0..live {
            let k = format!("live:{i}");
            db.set(k.as_bytes(), Value::string(b"v"), false, T);
            db.set_expire(k.as_bytes(), T + 1000);
        }
        for i in 0..expired {
            let k = format!("dead:{i}");
            db.set(k.as_bytes(), Value::string(b"v"), false, T);
            db.set_expire(k.as_bytes(), T - i as i64);
        }
        for i in 0..live {
            db.set(
                format!("plain:{i}").as_bytes(),
                Value::string(b"v"),
                false,
                T,
            );
        }
        db
    }

    #[test]
    fn active_expire_sampling() {
        // Nothing volatile, or nothing expired.
        let mut rng = Rng::new(1);
        assert!(active_expire_sample(&Db::default(), T, &mut rng, 100).is_empty());
        let db = db_with(500, 0);
        assert!(active_expire_sample(&db, T, &mut rng, 100).is_empty());
        // All expired: collects up to max, each key once, all really expired.
        let db = db_with(0, 300);
        let got = active_expire_sample(&db, T, &mut rng, 1000);
        let unique: std::collections::HashSet<_> = got.iter().collect();
        assert_eq!(unique.len(), got.len());
        assert!(got.len() > 100, "found only {}", got.len());
        assert!(got.iter().all(|k| db.is_expired(k, T)));
        assert_eq!(active_expire_sample(&db, T, &mut rng, 17).len(), 17);
        assert!(active_expire_sample(&db, T, &mut rng, 0).is_empty());
        // Few expired among many: stops after a round or so.
        let db = db_with(5000, 50);
        let got = active_expire_sample(&db, T, &mut rng, 1000);
        assert!(got.len() <= 20);
        assert!(got.iter().all(|k| db.is_expired(k, T)));
        // Deterministic for a seed; never mutates.
        let db = db_with(100, 100);
        let a = active_expire_sample(&db, T, &mut Rng::new(9), 1000);
        let b = active_expire_sample(&db, T, &mut Rng::new(9), 1000);
        assert_eq!(a, b);
        assert_eq!(db.len(), 300);
    }
}
