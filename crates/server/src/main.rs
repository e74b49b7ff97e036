//! `redraft`: a Redis-compatible server. This file starts it: command line and
//! configuration, logging, the data directory, listeners, the cron, and shutdown.

mod alloc;
mod aof;
mod clients;
mod cluster;
mod commands;
mod config;
mod cron;
mod evict;
mod loading;
mod logging;
mod proposal;
mod rdb;
mod replicator;
mod session;
mod shared;
mod table;
mod waiting;

use clap::Parser;
use redraft_engine::Engine;
use shared::Shared;
use std::net::SocketAddr;
use std::sync::Arc;

#[global_allocator]
static GLOBAL: alloc::Counting = alloc::Counting;

/// The Redis version redraft reports (`INFO`, `HELLO`): the command set and replies it
/// implements. Clients gate features on it (Sidekiq 8 requires 7.0 or later).
pub const REDIS_VERSION: &str = "7.2.4";

#[derive(Parser, Debug)]
#[command(
    name = "redraft",
    version = concat!(env!("CARGO_PKG_VERSION"), " (Redis ", "7.2.4", " compatible)"),
    about = "A Redis-compatible server: drop-in redis-server on one machine.",
    long_about = "A Redis-compatible server.\n\nUsage is as redis-server: redraft [CONFIG_FILE] [--directive value ...]\nExamples:\n  redraft\n  redraft /etc/redis/redis.conf\n  redraft --port 7777 --save \"\"\n  redraft /etc/redis/redis.conf --loglevel verbose\n\nThe configuration file uses redis.conf syntax. With no flags, redraft listens on\n127.0.0.1:6379 and keeps its data directory in ./data."
)]
struct Cli {
    /// An optional configuration file (redis.conf syntax, `-` for stdin), then any
    /// directive as `--name value`.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "CONFIG_FILE] [--directive value"
    )]
    args: Vec<String>,
}

fn main() {
    let cli = Cli::parse();
    let cfg = match config::Config::from_args(&cli.args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let mut inert = vec![];
    for (name, value) in cfg.non_default() {
        if config::param(name).is_some_and(|p| !p.active) {
            inert.push(name);
        }
        if let Err(e) = commands::config::check_supported(name, value) {
            eprintln!(
                "\n*** FATAL CONFIG ERROR (redraft {}) ***\n>>> '{} {}'\n{}",
                env!("CARGO_PKG_VERSION"),
                name,
                value,
                e
            );
            std::process::exit(1);
        }
    }
    if let Err(e) = logging::init(&cfg) {
        eprintln!("{e}");
        std::process::exit(1);
    }
    if !inert.is_empty() {
        tracing::info!(directives = %inert.join(" "), "accepted for compatibility with redis.conf; they tune Redis internals and have no effect here");
    }
    let shared = Arc::new(Shared::new(cfg));
    shared.set_me();
    let settings = shared.settings();
    if let Err(e) = std::fs::create_dir_all(&settings.dir) {
        tracing::error!(dir = %settings.dir.display(), error = %e, "can't create the data directory");
        std::process::exit(1);
    }
    redraft_engine::codec::install(Box::new(rdb::Codec));
    aof::start_fsync_thread(shared.clone());
    let pidfile = shared.config.read().get("pidfile").to_string();
    if !pidfile.is_empty() {
        if let Err(e) = std::fs::write(&pidfile, format!("{}\n", std::process::id())) {
            tracing::warn!(pidfile, error = %e, "can't write the pid file");
        }
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!(error = %e, "can't start the runtime");
            std::process::exit(1);
        }
    };
    // A long script occupies the runtime thread its session runs on, and while it runs
    // the other threads may all sleep with nobody watching the sockets. A task handed to
    // the runtime from outside it wakes one of them, which then keeps serving: other
    // clients get -BUSY, and SCRIPT KILL gets in.
    let handle = rt.handle().clone();
    redraft_script::watch().on_long_run(Box::new(move || {
        let h = handle.clone();
        let _ = std::thread::Builder::new()
            .name("script-kick".into())
            .spawn(move || drop(h.spawn(async {})));
    }));
    let code = rt.block_on(run(shared.clone()));
    // Whatever was written since the last batch flush is on disk before exiting.
    aof::final_sync(&mut shared.core.lock());
    if !pidfile.is_empty() {
        let _ = std::fs::remove_file(&pidfile);
    }
    std::process::exit(code);
}

/// What the loading thread hands back: the engine it loaded into, and the AOF it opened
/// (with `appendonly yes`), or why the server must not start.
type Loaded = (Engine, Result<Option<aof::Opened>, String>);

/// Loads the dataset into `engine` (Redis's `loadDataFromDisk`).
fn load_dataset(shared: &Shared, engine: &mut Engine) -> Result<Option<aof::Opened>, String> {
    if shared.settings().appendonly {
        aof::load_at_startup(shared, engine).map(Some)
    } else {
        rdb::load(shared, engine).map(|()| None)
    }
}

/// True when a data file exists, so that loading may take a while and clients must be
/// answered `-LOADING` meanwhile. Without one there is nothing to wait for: the (empty)
/// load finishes before the listeners open.
fn has_data_files(shared: &Shared) -> bool {
    let s = shared.settings();
    rdb::rdb_path(shared).exists()
        || (s.appendonly
            && (s.dir.join(&s.appenddirname).exists() || s.dir.join(&s.appendfilename).exists()))
}

/// Starts the load on a blocking thread, into the core's engine taken out of the core
/// (sessions meanwhile see an empty stand-in, and `-LOADING` for data commands).
fn start_load(shared: &Arc<Shared>) -> tokio::task::JoinHandle<Loaded> {
    let mut engine = {
        let mut core = shared.core.lock();
        let mut stand_in = Engine::new(core.engine.dbs.len());
        stand_in.max_string = core.engine.max_string;
        std::mem::replace(&mut core.engine, stand_in)
    };
    let sh = shared.clone();
    tokio::task::spawn_blocking(move || {
        let r = load_dataset(&sh, &mut engine);
        (engine, r)
    })
}

/// Puts the loaded engine in the core and ends the loading state; on a failed load,
/// exits (the files are left as they are, and nothing was written over them).
fn end_load(shared: &Shared, done: Result<Loaded, tokio::task::JoinError>) {
    let e = match done {
        Ok((engine, Ok(opened))) => {
            let mut core = shared.core.lock();
            core.engine = engine;
            if let Some(o) = opened {
                aof::install(shared, &mut core, o);
            }
            // A CONFIG SET during the load reached the stand-in only.
            shared.refresh_settings(&mut core);
            shared.loading.set_active(false);
            return;
        }
        Ok((_, Err(e))) => e,
        Err(e) => format!("the loading thread failed: {e}"),
    };
    tracing::error!("{e}");
    tracing::error!(
        "Fatal error loading the DB, check the file. Exiting. (The file is left as it is.)"
    );
    let pidfile = shared.config.read().get("pidfile").to_string();
    if !pidfile.is_empty() {
        let _ = std::fs::remove_file(&pidfile);
    }
    std::process::exit(1);
}

/// Saves before exiting when save points are set, as Redis does on SIGTERM. False if
/// the save failed: the server then keeps running rather than lose data.
fn shutdown_save(shared: &Arc<Shared>) -> bool {
    if shared.cluster.get().is_some() {
        // The Raft log holds every acknowledged write.
        return true;
    }
    if aof::shutdown(shared, &mut shared.core.lock(), false).is_err() {
        tracing::warn!("SIGTERM received but errors trying to shut down the server, check the logs for more information");
        return false;
    }
    if rdb::save_points(shared).is_empty() {
        return true;
    }
    shared
        .rdb
        .abort
        .store(true, std::sync::atomic::Ordering::SeqCst);
    tracing::info!("Saving the final RDB snapshot before exiting.");
    let mut core = shared.core.lock();
    match rdb::save(shared, &mut core) {
        Ok(()) => true,
        Err(_) => {
            tracing::warn!("Error trying to save the DB, can't exit.");
            false
        }
    }
}

/// Addresses to listen on from `bind` (a leading `-` marks one that may be unavailable).
fn bind_addrs(binds: &[String], port: u16) -> Vec<(SocketAddr, bool)> {
    binds
        .iter()
        .filter_map(|b| {
            let (optional, host) = match b.strip_prefix('-') {
                Some(h) => (true, h),
                None => (false, b.as_str()),
            };
            let host = match host {
                "*" => "0.0.0.0",
                "::*" => "::",
                h => h,
            };
            let ip: std::net::IpAddr = host.parse().ok()?;
            Some((SocketAddr::new(ip, port), optional))
        })
        .collect()
}

async fn run(shared: Arc<Shared>) -> i32 {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "can't install the SIGTERM handler");
            return 1;
        }
    };
    let settings = shared.settings();
    if settings.port == 0 {
        tracing::error!("port 0 leaves redraft with no listener: set a TCP port");
        return 1;
    }
    let cluster_mode = shared.config.read().get("cluster") == "yes";
    if cluster_mode {
        // The data comes from the Raft snapshot and log, not from dump.rdb or the AOF.
        shared.core.lock().waiters.wake_only = true;
        match cluster::start(&shared).await {
            Ok(c) => {
                let _ = shared.cluster.set(c);
            }
            Err(e) => {
                tracing::error!("can't start in cluster mode: {e}");
                return 1;
            }
        }
    }
    // As Redis: listen first, then load, answering `-LOADING` meanwhile.
    let background = !cluster_mode && has_data_files(&shared);
    shared.loading.set_active(background);
    let mut load = if cluster_mode {
        tokio::spawn(std::future::pending())
    } else {
        start_load(&shared)
    };
    if !background && !cluster_mode {
        let done = (&mut load).await;
        end_load(&shared, done);
    }
    let mut listeners = vec![];
    for (addr, optional) in bind_addrs(&settings.binds, settings.port) {
        match tokio::net::TcpListener::bind(addr).await {
            Ok(l) => listeners.push(l),
            Err(e) if optional => {
                tracing::warn!(%addr, error = %e, "optional bind address unavailable")
            }
            Err(e) => {
                tracing::error!(%addr, error = %e, "Failed listening on port {} (tcp), aborting", settings.port);
                return 1;
            }
        }
    }
    if listeners.is_empty() {
        tracing::error!("no address to listen on (bind = {:?})", settings.binds);
        return 1;
    }
    for l in listeners {
        let sh = shared.clone();
        tokio::spawn(async move {
            loop {
                match l.accept().await {
                    Ok((stream, _)) => {
                        tokio::spawn(session::serve(sh.clone(), stream));
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    }
                }
            }
        });
    }
    if background {
        tracing::info!(
            port = settings.port,
            "Accepting connections while the dataset loads (commands get -LOADING until it is in memory)"
        );
        let signal = tokio::select! {
            done = &mut load => {
                end_load(&shared, done);
                None
            }
            _ = term.recv() => Some("SIGTERM"),
            _ = tokio::signal::ctrl_c() => Some("SIGINT"),
            _ = shared.shutdown.notified() => Some("SHUTDOWN"),
        };
        if let Some(signal) = signal {
            // Redis's prepareForShutdown while loading: never save a half-loaded dataset.
            tracing::warn!("{signal} received while loading the dataset: exiting without saving (the files are left as they are)");
            return 0;
        }
    }
    tokio::spawn(cron::run(shared.clone()));
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        port = settings.port,
        bind = %settings.binds.join(" "),
        pid = std::process::id(),
        "Ready to accept connections tcp"
    );
    loop {
        let signal = tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = tokio::signal::ctrl_c() => "SIGINT",
            _ = shared.shutdown.notified() => break,
        };
        tracing::info!("Received {signal} scheduling shutdown...");
        if let Some(cl) = shared.cluster.get() {
            // A leader hands over before it goes, so that no write waits for an
            // election.
            if cl.is_leader() {
                let _ = tokio::time::timeout(std::time::Duration::from_secs(5), cl.transfer(None))
                    .await;
            }
        }
        if shutdown_save(&shared) {
            break;
        }
    }
    tracing::info!("redraft is now ready to exit, bye bye...");
    0
}
