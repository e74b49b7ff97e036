//! SAVE, BGSAVE, LASTSAVE: RDB snapshots on demand (see `crate::rdb`).

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
    match call.args.len() {
        1 => {}
        2 if is(call.args[1], "schedule") => {}
        _ => return Err(redraft_engine::command::SYNTAX),
    }
    let Some(shared) = call.shared.me() else {
        return Err(Error::new("ERR server is shutting down"));
    };
    crate::rdb::bgsave(&shared, call.core).map_err(Error::new)?;
    call.reply.simple("Background saving started");
    Ok(())
}

fn lastsave(call: &mut Call) -> CmdResult {
    call.reply
        .int(call.shared.rdb.last_save_unix.load(Ordering::Relaxed) as i64);
    Ok(())
}
