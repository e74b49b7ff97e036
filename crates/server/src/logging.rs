//! Logging through `tracing`: level from `loglevel` (or `RUST_LOG`), output to stderr or
//! `logfile`, and the level changeable at run time with `CONFIG SET loglevel`.

use crate::config::Config;
use std::sync::OnceLock;
use tracing_subscriber::{fmt, prelude::*, reload, EnvFilter, Registry};

static RELOAD: OnceLock<reload::Handle<EnvFilter, Registry>> = OnceLock::new();

fn filter_for(level: &str) -> EnvFilter {
    if let Ok(env) = std::env::var("RUST_LOG") {
        if !env.is_empty() {
            return EnvFilter::new(env);
        }
    }
    // openraft narrates every vote and retries an unreachable peer with an error line
    // twice a second; its story is told in redraft's own lines (leader changes, peers
    // lost and back), so it speaks only at `debug`.
    EnvFilter::new(match level {
        "debug" => "debug",
        "verbose" => "debug,openraft=warn",
        "warning" => "warn,openraft=off",
        "nothing" => "off",
        _ => "info,openraft=off",
    })
}

pub fn init(cfg: &Config) -> Result<(), String> {
    let (filter, handle) = reload::Layer::new(filter_for(cfg.get("loglevel")));
    let _ = RELOAD.set(handle);
    let logfile = cfg.get("logfile");
    let registry = tracing_subscriber::registry().with(filter);
    if logfile.is_empty() {
        registry
            .with(fmt::layer().with_writer(std::io::stderr).with_target(false))
            .try_init()
            .map_err(|e| e.to_string())
    } else {
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(logfile)
            .map_err(|e| format!("Can't open the log file: {e}"))?;
        registry
            .with(
                fmt::layer()
                    .with_writer(std::sync::Mutex::new(f))
                    .with_ansi(false)
                    .with_target(false),
            )
            .try_init()
            .map_err(|e| e.to_string())
    }
}

/// Applies the current `loglevel`.
pub fn apply_level(cfg: &Config) {
    if let Some(h) = RELOAD.get() {
        let _ = h.reload(filter_for(cfg.get("loglevel")));
    }
}
