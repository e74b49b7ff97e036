//! CLIENT and its subcommands: identity, listing, killing, pausing, reply control.

use super::{cmd, Call, ServerCommand};
use crate::session::{Action, ReplyMode};
use redraft_engine::args::{int, is};
use redraft_engine::command::SYNTAX;
use redraft_engine::{flags::*, CmdResult, Error, Keys};
use std::time::{Duration, Instant};

const F: u32 = NOSCRIPT | LOADING | STALE;

pub const COMMANDS: &[ServerCommand] = &[cmd(
    "client",
    -2,
    0,
    Keys::None,
    "connection",
    "2.4.0",
    "A container for client connection commands.",
    help,
)
.with_subcommands(&[
    cmd(
        "id",
        2,
        F | FAST,
        Keys::None,
        "connection",
        "5.0.0",
        "Returns the unique client ID of the connection.",
        id,
    ),
    cmd(
        "info",
        2,
        F | FAST,
        Keys::None,
        "connection",
        "6.2.0",
        "Returns information about the connection.",
        info,
    ),
    cmd(
        "list",
        -2,
        ADMIN | F,
        Keys::None,
        "connection",
        "2.4.0",
        "Lists open connections.",
        list,
    ),
    cmd(
        "kill",
        -3,
        ADMIN | F,
        Keys::None,
        "connection",
        "2.4.0",
        "Terminates open connections.",
        kill,
    ),
    cmd(
        "setname",
        3,
        F,
        Keys::None,
        "connection",
        "2.6.9",
        "Sets the connection name.",
        setname,
    ),
    cmd(
        "getname",
        2,
        F,
        Keys::None,
        "connection",
        "2.6.9",
        "Returns the name of the connection.",
        getname,
    ),
    cmd(
        "setinfo",
        4,
        F,
        Keys::None,
        "connection",
        "7.2.0",
        "Sets information specific to the client or connection.",
        setinfo,
    ),
    cmd(
        "pause",
        -3,
        ADMIN | F,
        Keys::None,
        "connection",
        "3.0.0",
        "Suspends commands processing.",
        pause,
    ),
    cmd(
        "unpause",
        2,
        ADMIN | F,
        Keys::None,
        "connection",
        "6.2.0",
        "Resumes processing commands from paused clients.",
        unpause,
    ),
    cmd(
        "no-evict",
        3,
        ADMIN | F,
        Keys::None,
        "connection",
        "7.0.0",
        "Sets the client eviction mode of the connection.",
        no_evict,
    ),
    cmd(
        "unblock",
        -3,
        ADMIN | F,
        Keys::None,
        "connection",
        "5.0.0",
        "Unblocks a client blocked by a blocking command from a different connection.",
        unblock,
    ),
    cmd(
        "reply",
        3,
        F,
        Keys::None,
        "connection",
        "3.2.0",
        "Instructs the server whether to reply to commands.",
        reply,
    ),
    cmd(
        "help",
        2,
        F,
        Keys::None,
        "connection",
        "5.0.0",
        "Returns helpful text about the different subcommands.",
        help,
    ),
])];

fn help(call: &mut Call) -> CmdResult {
    super::help(
        call.reply,
        "CLIENT",
        &[
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are:",
            "    * ADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made from the specified address",
            "    * LADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made to specified local address",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Kill connections by type.",
            "    * USER <username>",
            "      Kill connections authenticated by <username>.",
            "    * SKIPME (YES|NO)",
            "      Skip killing current connection (default: yes).",
            "    * ID <client-id>",
            "      Kill connections by client id.",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Unblock the specified blocked client.",
            "UNPAUSE",
            "    Stop the current client pause, resuming traffic.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Suspend all, or just write, clients for <timeout> milliseconds.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "SETINFO <option> <value>",
            "    Set client meta attr. Options are:",
            "    * LIB-NAME: the client lib name.",
            "    * LIB-VER: the client lib version.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
        ],
    );
    Ok(())
}

fn id(call: &mut Call) -> CmdResult {
    call.reply.int(call.sess.client.id as i64);
    Ok(())
}

fn info(call: &mut Call) -> CmdResult {
    let mut line = call.sess.client.info_line();
    line.push('\n');
    call.reply.verbatim(line.as_bytes());
    Ok(())
}

/// Client types as CLIENT LIST/KILL name them; every connection here is `normal` (or
/// `pubsub` once subscribed).
fn parse_type(arg: &[u8]) -> Result<&'static str, Error> {
    let t = String::from_utf8_lossy(arg).to_ascii_lowercase();
    match t.as_str() {
        "normal" => Ok("normal"),
        "master" => Ok("master"),
        "replica" | "slave" => Ok("replica"),
        "pubsub" => Ok("pubsub"),
        _ => Err(Error::err(format!(
            "Unknown client type '{}'",
            String::from_utf8_lossy(arg)
        ))),
    }
}

fn list(call: &mut Call) -> CmdResult {
    let mut ids: Option<Vec<u64>> = None;
    let mut typ: Option<&str> = None;
    let args = call.args;
    let mut i = 2;
    while i < args.len() {
        if is(args[i], "type") && i + 1 < args.len() {
            typ = Some(parse_type(args[i + 1])?);
            i += 2;
        } else if is(args[i], "id") && i + 1 < args.len() {
            let mut v = vec![];
            for a in &args[i + 1..] {
                match int(a) {
                    Ok(n) if n > 0 => v.push(n as u64),
                    _ => return Err(Error::new("ERR Invalid client ID")),
                }
            }
            ids = Some(v);
            i = args.len();
        } else {
            return Err(SYNTAX);
        }
    }
    let mut out = String::new();
    for c in call.shared.clients.all() {
        if let Some(ids) = &ids {
            if !ids.contains(&c.id) {
                continue;
            }
        }
        if let Some(t) = typ {
            if t != "normal" {
                continue;
            }
        }
        out.push_str(&c.info_line());
        out.push('\n');
    }
    call.reply.verbatim(out.as_bytes());
    Ok(())
}

fn kill(call: &mut Call) -> CmdResult {
    let args = call.args;
    let me = call.sess.client.id;
    // Old form: CLIENT KILL addr:port
    if args.len() == 3 {
        let addr = String::from_utf8_lossy(args[2]);
        let Some(c) = call
            .shared
            .clients
            .all()
            .into_iter()
            .find(|c| c.addr == addr)
        else {
            return Err(Error::new("ERR No such client"));
        };
        if c.id == me {
            call.sess.action = Some(Action::Close);
        } else {
            c.kill();
        }
        call.reply.ok();
        return Ok(());
    }
    let (mut id, mut addr, mut laddr, mut typ, mut user) = (None, None, None, None, None);
    let mut maxage: Option<u64> = None;
    let mut skipme = true;
    let mut i = 2;
    while i < args.len() {
        if i + 1 >= args.len() {
            return Err(SYNTAX);
        }
        let v = args[i + 1];
        if is(args[i], "id") {
            match int(v) {
                Ok(n) if n > 0 => id = Some(n as u64),
                _ => return Err(Error::new("ERR client-id should be greater than 0")),
            }
        } else if is(args[i], "type") {
            typ = Some(parse_type(v)?);
        } else if is(args[i], "addr") {
            addr = Some(String::from_utf8_lossy(v).into_owned());
        } else if is(args[i], "laddr") {
            laddr = Some(String::from_utf8_lossy(v).into_owned());
        } else if is(args[i], "user") {
            user = Some(String::from_utf8_lossy(v).into_owned());
        } else if is(args[i], "skipme") {
            if is(v, "yes") {
                skipme = true;
            } else if is(v, "no") {
                skipme = false;
            } else {
                return Err(SYNTAX);
            }
        } else if is(args[i], "maxage") {
            maxage = Some(int(v)?.max(0) as u64);
        } else {
            return Err(SYNTAX);
        }
        i += 2;
    }
    if let Some(u) = &user {
        if u != "default" {
            return Err(Error::err(format!("No such user '{u}'")));
        }
    }
    let mut n = 0;
    for c in call.shared.clients.all() {
        if id.is_some_and(|x| x != c.id)
            || addr.as_ref().is_some_and(|a| *a != c.addr)
            || laddr.as_ref().is_some_and(|a| *a != c.laddr)
            || typ.is_some_and(|t| t != "normal")
            || maxage.is_some_and(|m| c.age_secs() < m)
            || (skipme && c.id == me)
        {
            continue;
        }
        if c.id == me {
            call.sess.action = Some(Action::Close);
        } else {
            c.kill();
        }
        n += 1;
    }
    call.reply.int(n);
    Ok(())
}

/// Redis's rule for client names and library info: printable ASCII, no spaces.
pub fn validate_name(name: &[u8]) -> CmdResult {
    if name.iter().any(|&c| !(b'!'..=b'~').contains(&c)) {
        return Err(Error::new(
            "ERR Client names cannot contain spaces, newlines or special characters.",
        ));
    }
    Ok(())
}

fn setname(call: &mut Call) -> CmdResult {
    validate_name(call.args[2])?;
    call.sess.client.meta.lock().name = call.arg_str(2);
    call.reply.ok();
    Ok(())
}

fn getname(call: &mut Call) -> CmdResult {
    let name = call.sess.client.meta.lock().name.clone();
    if name.is_empty() {
        call.reply.null();
    } else {
        call.reply.bulk(name.as_bytes());
    }
    Ok(())
}

fn setinfo(call: &mut Call) -> CmdResult {
    let attr = call.args[2];
    let v = call.args[3];
    let lib_name = if is(attr, "lib-name") {
        true
    } else if is(attr, "lib-ver") {
        false
    } else {
        return Err(Error::err(format!(
            "Unrecognized option '{}'",
            call.arg_str(2)
        )));
    };
    if v.iter().any(|&c| !(b'!'..=b'~').contains(&c)) {
        return Err(Error::err(format!(
            "{} cannot contain spaces, newlines or special characters.",
            if lib_name { "lib-name" } else { "lib-ver" }
        )));
    }
    let mut m = call.sess.client.meta.lock();
    if lib_name {
        m.lib_name = call.arg_str(3);
    } else {
        m.lib_ver = call.arg_str(3);
    }
    drop(m);
    call.reply.ok();
    Ok(())
}

fn pause(call: &mut Call) -> CmdResult {
    let ms = int(call.args[2])
        .map_err(|_| Error::new("ERR timeout is not an integer or out of range"))?;
    if ms < 0 {
        return Err(redraft_engine::command::TIMEOUT_NEGATIVE);
    }
    let writes_only = match call.args.len() {
        3 => false,
        4 if is(call.args[3], "write") => true,
        4 if is(call.args[3], "all") => false,
        _ => return Err(SYNTAX),
    };
    let until = Instant::now() + Duration::from_millis(ms as u64);
    let mut p = call.shared.pause.lock();
    // As Redis: a new pause never shortens one in force, and ALL wins over WRITE.
    let active = p.until.is_some_and(|u| u > Instant::now());
    p.writes_only = if active {
        p.writes_only && writes_only
    } else {
        writes_only
    };
    p.until = Some(match p.until {
        Some(u) if active && u > until => u,
        _ => until,
    });
    drop(p);
    call.shared
        .pause_active
        .store(true, std::sync::atomic::Ordering::Relaxed);
    call.reply.ok();
    Ok(())
}

fn unpause(call: &mut Call) -> CmdResult {
    *call.shared.pause.lock() = Default::default();
    call.shared
        .pause_active
        .store(false, std::sync::atomic::Ordering::Relaxed);
    call.shared.unpaused.notify_waiters();
    call.reply.ok();
    Ok(())
}

fn on_off(arg: &[u8]) -> Result<bool, Error> {
    if is(arg, "on") {
        Ok(true)
    } else if is(arg, "off") {
        Ok(false)
    } else {
        Err(SYNTAX)
    }
}

fn no_evict(call: &mut Call) -> CmdResult {
    call.sess.client.meta.lock().no_evict = on_off(call.args[2])?;
    call.reply.ok();
    Ok(())
}

fn reply(call: &mut Call) -> CmdResult {
    let a = call.args[2];
    if is(a, "on") {
        call.sess.reply_mode = ReplyMode::On;
        call.reply.ok();
    } else if is(a, "off") {
        call.sess.reply_mode = ReplyMode::Off;
    } else if is(a, "skip") {
        if call.sess.reply_mode == ReplyMode::On {
            call.sess.reply_mode = ReplyMode::SkipNext;
        }
    } else {
        return Err(SYNTAX);
    }
    Ok(())
}

fn unblock(call: &mut Call) -> CmdResult {
    let id = int(call.args[2])?;
    let error = match call.args.len() {
        3 => false,
        4 if is(call.args[3], "timeout") => false,
        4 if is(call.args[3], "error") => true,
        _ => {
            return Err(Error::new(
                "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR",
            ))
        }
    };
    let core = &mut *call.core;
    match core.waiters.unblock(&mut core.engine, id.max(0) as u64) {
        Some(b) => {
            if error {
                let mut r = redraft_engine::Reply::new(b.proto);
                r.error("UNBLOCKED client unblocked via CLIENT UNBLOCK");
                b.client.send(r.buf);
            } else {
                b.client.send(crate::waiting::timeout_reply(b.proto));
            }
            b.client.wake.notify_one();
            call.reply.int(1);
        }
        None => call.reply.int(0),
    }
    Ok(())
}
