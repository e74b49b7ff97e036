//! The scripting commands' table entries (`eval.c`): EVAL, EVALSHA, their read-only
//! forms and SCRIPT. They run in the Lua host (`crate::scripting`, the `script` crate),
//! which `Engine::exec` hands them to; the handler here only answers when no host is
//! installed.

use crate::command::{cmd, flags::*, CmdResult, Ctx, EngineCommand, Error, Handler, Keys};

const EVAL_KEYS: Keys = Keys::Keynum {
    numkeys: 2,
    first: 3,
    step: 1,
};

fn no_host(_: &mut Ctx<'_>) -> CmdResult {
    Err(Error::new("ERR scripting is not available in this build"))
}

const SCRIPT_SUBS: &[EngineCommand] = &[
    cmd(
        "exists",
        -3,
        NOSCRIPT,
        Keys::None,
        "scripting",
        "2.6.0",
        "Determines whether server-side Lua scripts exist in the script cache.",
        no_host,
    ),
    cmd(
        "flush",
        -2,
        NOSCRIPT | ENTRY,
        Keys::None,
        "scripting",
        "2.6.0",
        "Removes all server-side Lua scripts from the script cache.",
        no_host,
    ),
    cmd(
        "help",
        2,
        LOADING | STALE,
        Keys::None,
        "scripting",
        "5.0.0",
        "Returns helpful text about the different subcommands.",
        no_host,
    ),
    cmd(
        "kill",
        2,
        NOSCRIPT | ALLOW_BUSY,
        Keys::None,
        "scripting",
        "2.6.0",
        "Terminates a server-side Lua script during execution.",
        no_host,
    ),
    cmd(
        "load",
        3,
        NOSCRIPT | STALE | ENTRY,
        Keys::None,
        "scripting",
        "2.6.0",
        "Loads a server-side Lua script to the script cache.",
        no_host,
    ),
];

pub const COMMANDS: &[EngineCommand] = &[
    cmd(
        "eval",
        -3,
        NOSCRIPT | SKIP_MONITOR | MAY_REPLICATE | NO_MANDATORY_KEYS | STALE | ENTRY,
        EVAL_KEYS,
        "scripting",
        "2.6.0",
        "Executes a server-side Lua script.",
        no_host,
    ),
    cmd(
        "evalsha",
        -3,
        NOSCRIPT | SKIP_MONITOR | MAY_REPLICATE | NO_MANDATORY_KEYS | STALE | ENTRY,
        EVAL_KEYS,
        "scripting",
        "2.6.0",
        "Executes a server-side Lua script by SHA1 digest.",
        no_host,
    ),
    cmd(
        "eval_ro",
        -3,
        READONLY | NOSCRIPT | SKIP_MONITOR | NO_MANDATORY_KEYS | STALE,
        EVAL_KEYS,
        "scripting",
        "7.0.0",
        "Executes a read-only server-side Lua script.",
        no_host,
    ),
    cmd(
        "evalsha_ro",
        -3,
        READONLY | NOSCRIPT | SKIP_MONITOR | NO_MANDATORY_KEYS | STALE,
        EVAL_KEYS,
        "scripting",
        "7.0.0",
        "Executes a read-only server-side Lua script by SHA1 digest.",
        no_host,
    ),
    cmd(
        "script",
        -2,
        0,
        Keys::None,
        "scripting",
        "2.6.0",
        "A container for Lua scripts management commands.",
        no_host as Handler,
    )
    .with_subcommands(SCRIPT_SUBS),
];
