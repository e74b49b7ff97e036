//! Generic key commands (Redis's `db.c`).

use crate::command::{cmd, flags::*, CmdResult, Ctx, EngineCommand, Keys};

pub const COMMANDS: &[EngineCommand] = &[
    cmd(
        "del",
        -2,
        WRITE,
        Keys::all(),
        "generic",
        "1.0.0",
        "Deletes one or more keys.",
        del,
    ),
    cmd(
        "exists",
        -2,
        READONLY | FAST,
        Keys::all(),
        "generic",
        "1.0.0",
        "Determines whether one or more keys exist.",
        exists,
    ),
    cmd(
        "dbsize",
        1,
        READONLY | FAST,
        Keys::None,
        "server",
        "1.0.0",
        "Returns the number of keys in the database.",
        dbsize,
    ),
];

fn del(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now;
    let db = &mut ctx.dbs[ctx.db];
    let mut n = 0;
    for key in &ctx.args[1..] {
        if db.delete(key, now) {
            n += 1;
        }
    }
    *ctx.dirty += n as u64;
    ctx.reply.int(n);
    Ok(())
}

fn exists(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now;
    let db = &mut ctx.dbs[ctx.db];
    let n = ctx.args[1..]
        .iter()
        .filter(|k| db.lookup_read(k, now).is_some())
        .count();
    ctx.reply.int(n as i64);
    Ok(())
}

fn dbsize(ctx: &mut Ctx) -> CmdResult {
    let n = ctx.db().len();
    ctx.reply.int(n as i64);
    Ok(())
}
