//! Keyspace notifications of the data commands: the exact events (name, key, order)
//! each command raises, as Redis 7.2 raises them. The sequences were checked against a
//! real Redis (`notify-keyspace-events KEA`, events read from `__keyevent@*__:*`).

use crate::db::notify;
use crate::{Engine, Protocol, Reply};

const T: i64 = 1_700_000_000_000;

/// An engine with every class enabled on every database.
fn engine() -> Engine {
    let mut e = Engine::new(16);
    for db in e.dbs.iter_mut() {
        db.notify_flags = notify::ALL | notify::KEYSPACE | notify::KEYEVENT;
    }
    e
}

/// Applies one command (words split on spaces, `""` for an empty argument) in `db` at
/// `now` and returns the events it raised: `event key` in database 0, `N:event key` in
/// database N, databases in order.
fn apply_at(e: &mut Engine, db: usize, now: i64, line: &str) -> Vec<String> {
    let argv: Vec<&[u8]> = line
        .split_whitespace()
        .map(|a| if a == "\"\"" { &b""[..] } else { a.as_bytes() })
        .collect();
    let mut reply = Reply::new(Protocol::Resp2);
    e.apply(db, now, 7, &[&argv], &mut reply);
    let mut out = vec![];
    for (i, d) in e.dbs.iter_mut().enumerate() {
        for (event, key) in d.events.drain(..) {
            let key = String::from_utf8_lossy(&key);
            out.push(match i {
                0 => format!("{event} {key}"),
                _ => format!("{i}:{event} {key}"),
            });
        }
    }
    out
}

/// Runs each command in database 0 at time `T` and checks the events it raised.
fn check(e: &mut Engine, steps: &[(&str, &[&str])]) {
    for (line, expected) in steps {
        assert_eq!(apply_at(e, 0, T, line), *expected, "events of `{line}`");
    }
}

/// Creates keys at `T` that expire at `T + 5`, for commands run later with `check_late`.
fn setup_expiring(e: &mut Engine, lines: &[&str]) {
    for line in lines {
        apply_at(e, 0, T, line);
        let key = line.split_whitespace().nth(1).unwrap_or_default();
        apply_at(e, 0, T, &format!("pexpireat {key} {}", T + 5));
    }
}

/// `check` at a time when the keys of `setup_expiring` have expired.
fn check_late(e: &mut Engine, steps: &[(&str, &[&str])]) {
    for (line, expected) in steps {
        assert_eq!(
            apply_at(e, 0, T + 100, line),
            *expected,
            "events of `{line}`"
        );
    }
}

#[test]
fn strings() {
    let mut e = engine();
    check(
        &mut e,
        &[
            ("set s v", &["set s"]),
            ("set s v ex 100", &["set s", "expire s"]),
            ("set s v keepttl", &["set s"]),
            ("set s v nx", &[]),
            ("set s v xx get", &["set s"]),
            ("set s2 v xx", &[]),
            ("set s2 v nx px 100000", &["set s2", "expire s2"]),
            ("set s3 v exat 4000000000", &["set s3", "expire s3"]),
            ("setnx s x", &[]),
            ("setnx s4 x", &["set s4"]),
            ("setex s5 100 v", &["set s5", "expire s5"]),
            ("psetex s6 100000 v", &["set s6", "expire s6"]),
            ("setex s6 -1 v", &[]),
            ("getset s new", &["set s"]),
            ("getset s7 new", &["set s7"]),
            ("getdel s7", &["del s7"]),
            ("getdel s7", &[]),
            ("getex s", &[]),
            ("getex s ex 100", &["expire s"]),
            ("getex s persist", &["persist s"]),
            ("getex s persist", &[]),
            ("getex s pxat 4000000000000", &["expire s"]),
            ("getex s exat 1000", &["del s"]),
            ("getex nokey ex 10", &[]),
            ("mset m1 a m2 b", &["set m1", "set m2"]),
            ("msetnx m1 a m3 c", &[]),
            ("msetnx m3 a m4 b", &["set m3", "set m4"]),
            ("append s4 tail", &["append s4"]),
            ("append s8 tail", &["append s8"]),
            ("append s8 \"\"", &["append s8"]),
            ("setrange s4 2 XY", &["setrange s4"]),
            ("setrange s9 3 abc", &["setrange s9"]),
            ("setrange s9 1 \"\"", &[]),
            ("setrange s10 1 \"\"", &[]),
            ("incr c", &["incrby c"]),
            ("decr c", &["incrby c"]),
            ("incrby c 10", &["incrby c"]),
            ("decrby c 3", &["incrby c"]),
            ("incrbyfloat c 1.5", &["incrbyfloat c"]),
            ("incr s4", &[]),
            ("incrbyfloat s4 1", &[]),
            ("incrby c 9223372036854775807", &[]),
        ],
    );
}

#[test]
fn wrong_types_raise_nothing() {
    let mut e = engine();
    check(
        &mut e,
        &[
            ("rpush l a", &["rpush l"]),
            ("set l v get", &[]),
            ("append l x", &[]),
            ("setrange l 0 x", &[]),
            ("incr l", &[]),
            ("setbit l 0 1", &[]),
            ("bitfield l set u8 0 1", &[]),
            ("getdel l", &[]),
            ("set s v", &["set s"]),
            ("lpush s a", &[]),
            ("sadd s a", &[]),
            ("hset s f v", &[]),
            ("zadd s 1 a", &[]),
            ("pfadd s a", &[]),
            ("lmove l s left left", &[]),
            ("smove s l a", &[]),
        ],
    );
}

#[test]
fn bitmaps() {
    let mut e = engine();
    check(
        &mut e,
        &[
            ("setbit b 7 1", &["setbit b"]),
            ("setbit b 7 1", &[]),
            ("setbit b 7 0", &["setbit b"]),
            ("setbit b 100 0", &["setbit b"]),
            ("bitop and b2 b b", &["set b2"]),
            ("bitop or b2 nokey1 nokey2", &["del b2"]),
            ("bitop or b2 nokey1 nokey2", &[]),
            ("bitop not b3 nokey", &[]),
            ("bitfield f set u8 0 255", &["setbit f"]),
            ("bitfield f set u8 0 255", &[]),
            ("bitfield f get u8 0", &[]),
            ("bitfield f incrby u8 0 1 incrby u8 8 1", &["setbit f"]),
            ("bitfield f4 overflow fail incrby u8 0 300", &[]),
            ("bitfield f4 overflow fail incrby u8 0 300", &[]),
        ],
    );
}

#[test]
fn generic_keys() {
    let mut e = engine();
    check(
        &mut e,
        &[
            ("mset a 1 b 2 c 3", &["set a", "set b", "set c"]),
            ("del a nokey b", &["del a", "del b"]),
            ("unlink c nokey", &["del c"]),
            ("set k v", &["set k"]),
            ("expire k 100", &["expire k"]),
            ("set dst old", &["set dst"]),
            ("rename k dst", &["rename_from k", "rename_to dst"]),
            ("rename dst dst", &[]),
            ("rename nokey x", &[]),
            ("set other v", &["set other"]),
            ("renamenx dst other", &[]),
            ("renamenx dst dst", &[]),
            ("renamenx dst k2", &["rename_from dst", "rename_to k2"]),
            ("move k2 1", &["move_from k2", "1:move_to k2"]),
            ("move k2 1", &[]),
            ("move other 0", &[]),
            ("set mv v", &["set mv"]),
            ("copy mv cp", &["copy_to cp"]),
            ("copy mv cp", &[]),
            ("copy mv cp replace", &["copy_to cp"]),
            ("copy mv cp db 2", &["2:copy_to cp"]),
            ("copy nokey x", &[]),
            ("swapdb 0 2", &[]),
            ("swapdb 0 2", &[]),
            ("flushdb", &[]),
            ("set f v", &["set f"]),
            ("flushall", &[]),
        ],
    );
    // MOVE from another database raises `move_from` there (each database queues its
    // own events; `apply_at` lists them by database).
    apply_at(&mut e, 3, T, "set m v");
    assert_eq!(
        apply_at(&mut e, 3, T, "move m 0"),
        ["move_to m", "3:move_from m"]
    );
}

#[test]
fn expiry() {
    let mut e = engine();
    check(
        &mut e,
        &[
            ("set e v", &["set e"]),
            ("expire e 100", &["expire e"]),
            ("expire e 100 nx", &[]),
            ("expire e 200 xx", &["expire e"]),
            ("expire e 50 gt", &[]),
            ("expire e 50 lt", &["expire e"]),
            ("pexpire e 100000", &["expire e"]),
            ("expireat e 4000000000", &["expire e"]),
            ("pexpireat e 4000000000000", &["expire e"]),
            ("persist e", &["persist e"]),
            ("persist e", &[]),
            ("persist nokey", &[]),
            ("expire nokey 10", &[]),
            ("expire e -1", &["del e"]),
            ("set e2 v", &["set e2"]),
            ("expireat e2 1000", &["del e2"]),
            ("set e3 v", &["set e3"]),
            ("pexpireat e3 1", &["del e3"]),
        ],
    );
}

#[test]
fn writes_meeting_expired_keys() {
    let mut e = engine();
    setup_expiring(
        &mut e,
        &[
            "set s1 v",
            "set s2 v",
            "set s3 v",
            "set s4 v",
            "set s5 v",
            "set s6 v",
            "set s7 v",
            "set s8 v",
            "rpush l1 a",
            "rpush l2 a",
            "rpush l3 a",
            "rpush l4 a",
            "rpush l5 a",
            "rpush l6 a",
            "hset h1 f v",
            "hset h2 f v",
            "sadd t1 a",
            "sadd t2 a",
            "sadd t3 a",
            "sadd t4 a",
            "sadd t5 a",
            "zadd z1 1 a",
            "zadd z2 1 a",
            "zadd z3 1 a",
        ],
    );
    check_late(
        &mut e,
        &[
            ("set s1 x", &["expired s1", "set s1"]),
            ("set s2 x xx", &["expired s2"]),
            ("del s3", &["expired s3"]),
            ("expire s4 10", &["expired s4"]),
            ("rename s5 x", &["expired s5"]),
            // A STORE destination is deleted as Redis's dbDelete does: `del`.
            ("bitop and s6 nokey", &["del s6"]),
            ("sinterstore s7 nokey", &["del s7"]),
            ("zunionstore s8 1 nokey", &["del s8"]),
            ("lpushx l1 a", &["expired l1"]),
            ("lpop l2", &["expired l2"]),
            ("lrem l3 0 a", &["expired l3"]),
            ("ltrim l4 0 1", &["expired l4"]),
            ("lmove l5 l6 left left", &["expired l5"]),
            ("lmpop 2 l6 nokey left", &["expired l6"]),
            ("hdel h1 f", &["expired h1"]),
            ("hincrby h2 f 1", &["expired h2", "hincrby h2"]),
            ("sadd t1 a", &["expired t1", "sadd t1"]),
            ("srem t2 a", &["expired t2"]),
            ("spop t3", &["expired t3"]),
            ("smove t4 t5 a", &["expired t4", "expired t5"]),
            ("zrem z1 a", &["expired z1"]),
            ("zpopmin z2", &["expired z2"]),
            ("zincrby z3 1 a", &["expired z3", "zincr z3"]),
        ],
    );
}

#[test]
fn lists() {
    let mut e = engine();
    check(
        &mut e,
        &[
            ("lpush l a b c", &["lpush l"]),
            ("rpush l d e", &["rpush l"]),
            ("lpushx l x", &["lpush l"]),
            ("rpushx l y", &["rpush l"]),
            ("lpushx nol x", &[]),
            ("rpushx nol x", &[]),
            ("lpop l", &["lpop l"]),
            ("rpop l", &["rpop l"]),
            ("lpop l 2", &["lpop l"]),
            ("rpop l 0", &[]),
            ("lpop nol", &[]),
            ("lset l 0 Z", &["lset l"]),
            ("lset l 99 Z", &[]),
            ("linsert l before Z P", &["linsert l"]),
            ("linsert l after nothere P", &[]),
            ("linsert nol after a b", &[]),
            ("lrem l 0 nothere", &[]),
            ("lrem l 1 Z", &["lrem l"]),
            // LTRIM raises its event even when nothing is trimmed.
            ("ltrim l 0 100", &["ltrim l"]),
            ("ltrim l 0 0", &["ltrim l"]),
            ("ltrim l 1 0", &["ltrim l", "del l"]),
            ("ltrim nol 0 1", &[]),
            ("rpush l2 a b a", &["rpush l2"]),
            ("lrem l2 0 a", &["lrem l2"]),
            ("lrem l2 0 b", &["lrem l2", "del l2"]),
            ("rpush l10 a", &["rpush l10"]),
            ("lpop l10 5", &["lpop l10", "del l10"]),
            ("rpush l11 a", &["rpush l11"]),
            ("rpop l11", &["rpop l11", "del l11"]),
        ],
    );
}

#[test]
fn list_moves_and_blocking_pops() {
    let mut e = engine();
    check(
        &mut e,
        &[
            ("rpush src a b", &["rpush src"]),
            // The destination's push comes first, then the source's pop (and `del`).
            ("lmove src dst left right", &["rpush dst", "lpop src"]),
            (
                "lmove src dst right left",
                &["lpush dst", "rpop src", "del src"],
            ),
            ("lmove src dst right left", &[]),
            ("rpoplpush dst dst", &["lpush dst", "rpop dst"]),
            ("lmove dst dst left left", &["lpush dst", "lpop dst"]),
            ("rpoplpush dst out", &["lpush out", "rpop dst"]),
            ("rpoplpush dst out", &["lpush out", "rpop dst", "del dst"]),
            ("rpush m a b c d", &["rpush m"]),
            ("lmpop 2 nol m left count 2", &["lpop m"]),
            ("lmpop 2 nol m right count 5", &["rpop m", "del m"]),
            ("lmpop 1 nol left", &[]),
            ("rpush b a", &["rpush b"]),
            ("blpop nol b 1", &["lpop b", "del b"]),
            ("rpush b a b", &["rpush b"]),
            ("brpop b 1", &["rpop b"]),
            ("blmpop 1 1 b left count 3", &["lpop b", "del b"]),
            ("rpush bm a b", &["rpush bm"]),
            ("blmove bm bd left left 1", &["lpush bd", "lpop bm"]),
            ("brpoplpush bm bd 1", &["lpush bd", "rpop bm", "del bm"]),
            // Nothing to pop: the command blocks and raises nothing.
            ("blpop nol 1", &[]),
            ("blmove nol bd left left 1", &[]),
        ],
    );
}

#[test]
fn hashes() {
    let mut e = engine();
    check(
        &mut e,
        &[
            ("hset h f1 v1 f2 v2", &["hset h"]),
            ("hset h f1 v1", &["hset h"]),
            ("hmset h f3 v3", &["hset h"]),
            ("hsetnx h f1 x", &[]),
            ("hsetnx h f4 x", &["hset h"]),
            ("hsetnx h2 f1 x", &["hset h2"]),
            ("hincrby h n 5", &["hincrby h"]),
            ("hincrby h f1 5", &[]),
            ("hincrbyfloat h fl 1.5", &["hincrbyfloat h"]),
            ("hincrbyfloat h f1 1", &[]),
            ("hdel h nothere", &[]),
            ("hdel nokey f", &[]),
            ("hdel h f1 f2 nothere", &["hdel h"]),
            ("hdel h2 f1", &["hdel h2", "del h2"]),
            ("hdel h f1 f3 f4 n fl", &["hdel h", "del h"]),
        ],
    );
}

#[test]
fn sets() {
    let mut e = engine();
    check(
        &mut e,
        &[
            ("sadd s a b c", &["sadd s"]),
            ("sadd s a", &[]),
            ("sadd s a d", &["sadd s"]),
            ("srem s nothere", &[]),
            ("srem s a b", &["srem s"]),
            ("srem s c d", &["srem s", "del s"]),
            ("sadd p a b c", &["sadd p"]),
            ("spop p", &["spop p"]),
            ("spop p 0", &[]),
            ("spop p 1", &["spop p"]),
            ("spop p 5", &["spop p", "del p"]),
            ("spop p", &[]),
            ("spop nokey 2", &[]),
            ("sadd p1 a", &["sadd p1"]),
            ("spop p1", &["spop p1", "del p1"]),
            ("sadd m a b", &["sadd m"]),
            ("smove m n a", &["srem m", "sadd n"]),
            ("smove m n zz", &[]),
            ("smove m m b", &[]),
            ("smove nokey n b", &[]),
            ("smove m n b", &["srem m", "del m", "sadd n"]),
            ("sadd x e", &["sadd x"]),
            ("sadd y e", &["sadd y"]),
            // Already in the destination: no `sadd`.
            ("smove x y e", &["srem x", "del x"]),
        ],
    );
}

#[test]
fn set_stores() {
    let mut e = engine();
    check(
        &mut e,
        &[
            ("sadd a 1 2 3", &["sadd a"]),
            ("sadd b 2 3 4", &["sadd b"]),
            ("sinterstore d a b", &["sinterstore d"]),
            ("sunionstore d a b", &["sunionstore d"]),
            ("sdiffstore d a b", &["sdiffstore d"]),
            ("sdiffstore d a a", &["del d"]),
            ("sdiffstore d a a", &[]),
            ("set d v", &["set d"]),
            ("sinterstore d a nokey", &["del d"]),
            ("sunionstore d nokey nokey2", &[]),
        ],
    );
}

#[test]
fn sorted_sets() {
    let mut e = engine();
    check(
        &mut e,
        &[
            ("zadd z 1 a 2 b", &["zadd z"]),
            ("zadd z 1 a", &[]),
            ("zadd z 3 a", &["zadd z"]),
            ("zadd z nx 5 a", &[]),
            ("zadd z xx 5 nomember", &[]),
            ("zadd z gt 1 a", &[]),
            ("zadd z incr 1 a", &["zincr z"]),
            ("zadd z incr nx 1 a", &[]),
            ("zadd z incr 0 a", &[]),
            ("zadd z ch 10 a 20 c", &["zadd z"]),
            ("zincrby z 1 b", &["zincr z"]),
            ("zincrby z2 1 b", &["zincr z2"]),
            ("zadd z3 xx 1 a", &[]),
            ("zrem z nothere", &[]),
            ("zrem z a", &["zrem z"]),
            ("zrem nokey a", &[]),
            ("zadd z4 1 a", &["zadd z4"]),
            ("zrem z4 a b", &["zrem z4", "del z4"]),
            ("zadd r 1 a 2 b 3 c 4 d 5 e", &["zadd r"]),
            ("zremrangebyrank r 10 20", &[]),
            ("zremrangebyrank r 0 0", &["zremrangebyrank r"]),
            ("zremrangebyscore r 100 200", &[]),
            ("zremrangebyscore r 2 2", &["zremrangebyscore r"]),
            ("zremrangebylex r [z [zz", &[]),
            ("zremrangebylex r [d [d", &["zremrangebylex r"]),
            ("zremrangebyrank r 0 -1", &["zremrangebyrank r", "del r"]),
        ],
    );
}

#[test]
fn sorted_set_pops() {
    let mut e = engine();
    check(
        &mut e,
        &[
            ("zadd p 1 a 2 b 3 c", &["zadd p"]),
            ("zpopmin p", &["zpopmin p"]),
            ("zpopmax p 0", &[]),
            ("zpopmax p 5", &["zpopmax p", "del p"]),
            ("zpopmin p", &[]),
            ("zadd m 1 a 2 b", &["zadd m"]),
            ("zmpop 2 nokey m min count 1", &["zpopmin m"]),
            ("zmpop 1 m max count 10", &["zpopmax m", "del m"]),
            ("zadd b 1 a", &["zadd b"]),
            ("bzpopmin nokey b 1", &["zpopmin b", "del b"]),
            ("zadd b 1 a 2 b", &["zadd b"]),
            ("bzpopmax b 1", &["zpopmax b"]),
            ("bzmpop 1 1 b min count 5", &["zpopmin b", "del b"]),
            ("bzpopmin b 1", &[]),
        ],
    );
}

#[test]
fn sorted_set_stores() {
    let mut e = engine();
    check(
        &mut e,
        &[
            ("zadd a 1 x 2 y", &["zadd a"]),
            ("zadd b 2 y 3 z", &["zadd b"]),
            ("zunionstore d 2 a b", &["zunionstore d"]),
            ("zinterstore d 2 a b", &["zinterstore d"]),
            ("zdiffstore d 2 a b", &["zdiffstore d"]),
            ("zdiffstore d 2 a a", &["del d"]),
            ("zdiffstore d 2 a a", &[]),
            ("set d v", &["set d"]),
            ("zinterstore d 2 a nokey", &["del d"]),
            ("zrangestore d a 0 -1", &["zrangestore d"]),
            ("zrangestore d a 5 10", &["del d"]),
            ("zrangestore d a 5 10", &[]),
            ("zrangestore d a -inf +inf byscore", &["zrangestore d"]),
            ("zrangestore d nokey 0 -1", &["del d"]),
        ],
    );
}

#[test]
fn hyperloglogs() {
    let mut e = engine();
    check(
        &mut e,
        &[
            ("pfadd h a b c", &["pfadd h"]),
            ("pfadd h a", &[]),
            ("pfadd h", &[]),
            ("pfadd h2", &["pfadd h2"]),
            ("pfcount h", &[]),
            ("pfcount h h2", &[]),
            // PFMERGE raises `pfadd`, even for an unchanged destination.
            ("pfmerge h3 h h2", &["pfadd h3"]),
            ("pfmerge h3", &["pfadd h3"]),
            ("pfmerge h4 nokey", &["pfadd h4"]),
        ],
    );
}

#[test]
fn sort_store() {
    let mut e = engine();
    check(
        &mut e,
        &[
            ("rpush l 3 1 2", &["rpush l"]),
            ("sort l store out", &["sortstore out"]),
            ("sort l", &[]),
            ("sort nokey store out", &["del out"]),
            ("sort nokey store out", &[]),
            ("sort l limit 0 0 store out", &[]),
            ("set w_1 10", &["set w_1"]),
            ("sort l by w_* get # store out", &["sortstore out"]),
            ("sort l by nosort store out", &["sortstore out"]),
        ],
    );
}

/// A codec for strings only, enough for RESTORE's events.
struct StringCodec;

impl crate::codec::ValueCodec for StringCodec {
    fn dump(&self, v: &crate::Value) -> Vec<u8> {
        super::string_bytes(v)
            .map(|b| b.into_owned())
            .unwrap_or_default()
    }
    fn restore(&self, payload: &[u8]) -> Result<crate::Value, bool> {
        Ok(crate::Value::string(payload))
    }
}

#[test]
fn restore() {
    if crate::codec::codec().is_none() {
        crate::codec::install(Box::new(StringCodec));
    }
    let mut e = engine();
    check(
        &mut e,
        &[
            ("restore k 0 v", &["restore k"]),
            ("restore k 0 v", &[]),
            ("restore k 0 v replace", &["restore k"]),
            ("restore k 100000 v replace idletime 5", &["restore k"]),
            ("restore k 1000 v replace absttl", &["del k"]),
            ("restore k 1000 v replace absttl", &[]),
            ("restore k2 1000 v absttl", &[]),
        ],
    );
    // REPLACE deletes a key past its deadline as any other (Redis's dbDelete): `del`.
    setup_expiring(&mut e, &["set x v", "set y v"]);
    check_late(
        &mut e,
        &[
            ("restore x 1000 v replace absttl", &["del x"]),
            ("restore y 0 v", &["expired y", "restore y"]),
        ],
    );
}

#[test]
fn only_enabled_classes() {
    let mut e = engine();
    e.dbs[0].notify_flags = notify::LIST | notify::KEYEVENT;
    check(
        &mut e,
        &[
            ("set s v", &[]),
            ("rpush l a", &["rpush l"]),
            ("lpop l", &["lpop l"]),
        ],
    );
    e.dbs[0].notify_flags = notify::ALL;
    check(&mut e, &[("rpush l a", &[])]);
}
