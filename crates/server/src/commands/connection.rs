//! Connection commands: AUTH, HELLO, PING, ECHO, SELECT, QUIT, RESET.

use super::Call;
use crate::session::{Action, ReplyMode};
use redraft_engine::args::{int, is};
use redraft_engine::{flags::*, CmdResult, Error, Keys, Protocol};

use super::{cmd, ServerCommand};

pub const COMMANDS: &[ServerCommand] = &[
    cmd(
        "auth",
        -2,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY | SKIP_MONITOR,
        Keys::None,
        "connection",
        "1.0.0",
        "Authenticates the connection.",
        auth,
    ),
    cmd(
        "hello",
        -1,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY | SKIP_MONITOR,
        Keys::None,
        "connection",
        "6.0.0",
        "Handshakes with the Redis server.",
        hello,
    ),
    cmd(
        "ping",
        -1,
        FAST | STALE,
        Keys::None,
        "connection",
        "1.0.0",
        "Returns the server's liveliness response.",
        ping,
    ),
    cmd(
        "echo",
        2,
        LOADING | STALE | FAST,
        Keys::None,
        "connection",
        "1.0.0",
        "Returns the given string.",
        echo,
    ),
    cmd(
        "select",
        2,
        LOADING | STALE | FAST,
        Keys::None,
        "connection",
        "1.0.0",
        "Changes the selected database.",
        select,
    ),
    cmd(
        "quit",
        -1,
        ALLOW_BUSY | NOSCRIPT | LOADING | STALE | FAST | NO_AUTH,
        Keys::None,
        "connection",
        "1.0.0",
        "Closes the connection.",
        quit,
    ),
    cmd(
        "reset",
        1,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
        Keys::None,
        "connection",
        "6.2.0",
        "Resets the connection.",
        reset,
    ),
];

const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";

/// Checks credentials for the `default` user (the only user).
fn check_auth(call: &mut Call, user: Option<&[u8]>, pass: &[u8]) -> CmdResult {
    let settings = call.shared.settings();
    if let Some(u) = user {
        if u != b"default" {
            return Err(Error::new(WRONGPASS));
        }
    }
    match &settings.requirepass {
        None if user.is_none() => Err(Error::new(
            "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
        )),
        // The default user without a password accepts any password.
        None => {
            call.sess.authenticated = true;
            Ok(())
        }
        Some(p) if constant_time_eq(p.as_bytes(), pass) => {
            call.sess.authenticated = true;
            Ok(())
        }
        Some(_) => Err(Error::new(WRONGPASS)),
    }
}

/// Compares without an early exit, so timing does not reveal the password.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = (a.len() != b.len()) as u8;
    for i in 0..a.len().max(b.len()) {
        diff |= a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(1);
    }
    diff == 0
}

fn auth(call: &mut Call) -> CmdResult {
    match call.args.len() {
        2 => check_auth(call, None, call.args[1])?,
        3 => check_auth(call, Some(call.args[1]), call.args[2])?,
        _ => return Err(redraft_engine::command::SYNTAX),
    }
    call.reply.ok();
    Ok(())
}

/// HELLO [protover [AUTH username password] [SETNAME clientname]]
fn hello(call: &mut Call) -> CmdResult {
    let mut proto = None;
    let mut i = 1;
    if call.args.len() >= 2 {
        let v = int(call.args[1])
            .map_err(|_| Error::new("ERR Protocol version is not an integer or out of range"))?;
        if !(2..=3).contains(&v) {
            return Err(Error::new("NOPROTO unsupported protocol version"));
        }
        proto = Some(v);
        i = 2;
    }
    let mut setname = None;
    let mut authed = false;
    while i < call.args.len() {
        let more = call.args.len() - i - 1;
        if is(call.args[i], "auth") && more >= 2 {
            check_auth(call, Some(call.args[i + 1]), call.args[i + 2])?;
            authed = true;
            i += 3;
        } else if is(call.args[i], "setname") && more >= 1 {
            setname = Some(call.args[i + 1]);
            i += 2;
        } else {
            return Err(Error::err(format!(
                "Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(call.args[i])
            )));
        }
    }
    let _ = authed;
    if !call.sess.authenticated {
        return Err(Error::new("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"));
    }
    if let Some(name) = setname {
        super::client::validate_name(name)?;
        call.sess.client.meta.lock().name = String::from_utf8_lossy(name).into_owned();
    }
    if let Some(p) = proto {
        call.reply.proto = if p == 3 {
            Protocol::Resp3
        } else {
            Protocol::Resp2
        };
        call.sess.client.meta.lock().resp = p as u8;
        call.sess
            .client
            .resp3
            .store(p == 3, std::sync::atomic::Ordering::Relaxed);
    }
    let r = &mut call.reply;
    r.map(7);
    r.bulk(b"server");
    r.bulk(b"redis");
    r.bulk(b"version");
    r.bulk(crate::REDIS_VERSION.as_bytes());
    r.bulk(b"proto");
    r.int(if r.resp3() { 3 } else { 2 });
    r.bulk(b"id");
    r.int(call.sess.client.id as i64);
    r.bulk(b"mode");
    r.bulk(b"standalone");
    r.bulk(b"role");
    // In cluster mode the role follows Raft: the leader is the master.
    let leads = call.shared.cluster.get().is_none_or(|c| c.is_leader());
    r.bulk(if leads { b"master" } else { b"replica" });
    r.bulk(b"modules");
    r.array(0);
    Ok(())
}

fn ping(call: &mut Call) -> CmdResult {
    // A RESP2 subscriber gets its PONG in the shape of a pub/sub message.
    if call.sess.subs.count() > 0 && !call.reply.resp3() && call.args.len() <= 2 {
        call.reply.array(2);
        call.reply.bulk(b"pong");
        call.reply
            .bulk(call.args.get(1).copied().unwrap_or_default());
        return Ok(());
    }
    match call.args.len() {
        1 => call.reply.simple("PONG"),
        2 => call.reply.bulk(call.args[1]),
        _ => {
            return Err(Error::new(
                "ERR wrong number of arguments for 'ping' command",
            ));
        }
    }
    Ok(())
}

fn echo(call: &mut Call) -> CmdResult {
    call.reply.bulk(call.args[1]);
    Ok(())
}

fn select(call: &mut Call) -> CmdResult {
    let db =
        int(call.args[1]).map_err(|_| Error::new("ERR value is not an integer or out of range"))?;
    if db < 0 || db as usize >= call.core.engine.dbs.len() {
        return Err(redraft_engine::command::DB_INDEX);
    }
    call.sess.db = db as usize;
    call.sess.client.meta.lock().db = db as usize;
    call.reply.ok();
    Ok(())
}

fn quit(call: &mut Call) -> CmdResult {
    call.reply.ok();
    call.sess.action = Some(Action::Close);
    Ok(())
}

fn reset(call: &mut Call) -> CmdResult {
    call.sess.db = 0;
    call.sess.reply_mode = ReplyMode::On;
    call.sess.authenticated = call.shared.settings().requirepass.is_none();
    if call.sess.monitor {
        call.sess.monitor = false;
        crate::commands::admin::remove_monitor(call.shared, call.sess.client.id);
    }
    call.reply.proto = Protocol::Resp2;
    call.sess
        .client
        .resp3
        .store(false, std::sync::atomic::Ordering::Relaxed);
    call.sess.multi = None;
    let watched = std::mem::take(&mut call.sess.watched);
    let id = call.sess.client.id;
    call.core
        .waiters
        .unwatch_all(&mut call.core.engine, id, &watched);
    crate::commands::pubsub::unsubscribe_all(&mut call.core.pubsub, &mut call.sess.subs, id);
    {
        let mut m = call.sess.client.meta.lock();
        m.name.clear();
        m.db = 0;
        m.resp = 2;
        m.no_evict = false;
        m.monitor = false;
        m.multi = -1;
        m.subs = 0;
        m.psubs = 0;
    }
    call.reply.simple("RESET");
    Ok(())
}
