//! SAVE, BGSAVE, LASTSAVE: RDB snapshots on demand (see `crate::rdb`); BGREWRITEAOF
//! (see `crate::aof::rewrite`). BGSAVE and BGREWRITEAOF share the point-in-time walk, so
//! one waits for the other with Redis's replies.

use super::{cmd, Call, ServerCommand};
use redraft_engine::args::is;
use redraft_engine::{flags::*, CmdResult, Error, Keys};
use std::sync::atomic::Ordering;

pub const COMMANDS: &[ServerCommand] = &[
    cmd(
        "save",
        1,
        ADMIN | NOSCRIPT | NO_MULTI,
        Keys::None,
        "server",
        "1.0.0",
        "Synchronously saves the database(s) to disk.",
        save,
    ),
    cmd(
        "bgsave",
        -1,
        ADMIN | NOSCRIPT,
        Keys::None,
        "server",
        "1.0.0",
        "Asynchronously saves the database(s) to disk.",
        bgsave,
    ),
    cmd(
        "bgrewriteaof",
        1,
        ADMIN | NOSCRIPT,
        Keys::None,
        "server",
        "1.0.0",
        "Asynchronously rewrites the append-only file to disk.",
        bgrewriteaof,
    ),
    cmd(
        "lastsave",
        1,
        LOADING | STALE | FAST,
        Keys::None,
        "server",
        "1.0.0",
        "Returns the Unix timestamp of the last successful save to disk.",
        lastsave,
    ),
];

fn save(call: &mut Call) -> CmdResult {
    if call.shared.rdb.bgsave_in_progress.load(Ordering::SeqCst) {
        return Err(Error::new("ERR Background save already in progress"));
    }
    crate::rdb::save(call.shared, call.core).map_err(|_| Error::new("ERR"))?;
    call.reply.ok();
    Ok(())
}

fn bgsave(call: &mut Call) -> CmdResult {
    let schedule = match call.args.len() {
        1 => false,
        2 if is(call.args[1], "schedule") => true,
        _ => return Err(redraft_engine::command::SYNTAX),
    };
    let Some(shared) = call.shared.me() else {
        return Err(Error::new("ERR server is shutting down"));
    };
    match crate::rdb::bgsave(&shared, call.core) {
        Ok(()) => call.reply.simple("Background saving started"),
        Err(crate::rdb::BGSAVE_BUSY) if schedule => {
            shared.rdb.scheduled.store(true, Ordering::SeqCst);
            call.reply.simple("Background saving scheduled");
        }
        Err(e) => return Err(Error::new(e)),
    }
    Ok(())
}

fn bgrewriteaof(call: &mut Call) -> CmdResult {
    match crate::aof::rewrite::start(call.shared, call.core).map_err(Error::new)? {
        crate::aof::rewrite::Started::Now => call
            .reply
            .simple("Background append only file rewriting started"),
        crate::aof::rewrite::Started::Scheduled => call
            .reply
            .simple("Background append only file rewriting scheduled"),
    }
    Ok(())
}

fn lastsave(call: &mut Call) -> CmdResult {
    call.reply
        .int(call.shared.rdb.last_save_unix.load(Ordering::Relaxed) as i64);
    Ok(())
}
