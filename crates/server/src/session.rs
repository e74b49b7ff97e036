//! A client connection, from socket to engine and back.
//!
//! Each socket read is parsed into as many complete commands as it holds (phase 1, no
//! lock); then the core lock is taken once and the whole batch runs (phase 2): each
//! command is resolved in the command table, checked (auth, pause, memory), and run:
//! writes through the replicator as entries, reads directly on the engine, server
//! commands with the session. Replies accumulate in one buffer and go out in one write.

use crate::clients::Client;
use crate::commands::admin::{monitor_line, remove_monitor, slowlog_push};
use crate::commands::multi::Multi;
use crate::commands::pubsub::{allowed_while_subscribed, unsubscribe_all, Subscriptions};
use crate::commands::Call;
use crate::config::Settings;
use crate::shared::{unix_ms, Core, Shared};
use crate::table::{Exec, Resolved};
use crate::waiting::{timeout_reply, Blocked};
use redraft_engine::flags::{
    ADMIN, DENYOOM, MAY_REPLICATE, NO_AUTH, NO_MULTI, SKIP_MONITOR, WRITE,
};
use redraft_engine::{Protocol, Reply};
use redraft_resp::{Limits, Parsed, RequestParser};
use std::net::SocketAddr;
use std::ops::Range;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedReadHalf;
use tokio::net::TcpStream;

/// Commands run under one acquisition of the core lock, at most.
const MAX_BATCH: usize = 1024;
/// Output size after which a batch is cut to flush replies.
const FLUSH_AT: usize = 1 << 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyMode {
    On,
    Off,
    /// `CLIENT REPLY SKIP` was just given: the next command's reply is dropped.
    SkipNext,
}

/// Something a command asks the connection to do once the batch stops.
#[derive(Debug)]
pub enum Action {
    Close,
    Shutdown,
}

/// Per-connection state that commands read and change.
pub struct SessionState {
    pub client: Arc<Client>,
    pub db: usize,
    pub authenticated: bool,
    pub reply_mode: ReplyMode,
    /// The reply of the command being run is dropped (after `CLIENT REPLY SKIP`).
    skip_current: bool,
    pub monitor: bool,
    pub action: Option<Action>,
    /// Connected over loopback (for `enable-debug-command local`).
    pub local: bool,
    /// The transaction being queued (MULTI).
    pub multi: Option<Multi>,
    /// Watched keys: database, key, and whether it existed when watched.
    pub watched: Vec<(usize, Box<[u8]>, bool)>,
    pub subs: Subscriptions,
    /// Cluster mode: writes of this batch waiting to be proposed as one entry.
    pub pending: Option<PendingWrites>,
    /// Cluster mode: reads of this batch may run (the read barrier was passed).
    pub read_ok: bool,
    /// A command's reply that needs Raft rounds (RAFT ADDNODE...): awaited after the
    /// batch, outside the core lock. Ok(None) is `+OK`, Ok(Some(text)) a bulk string.
    pub deferred: Option<Deferred>,
}

pub type Deferred =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Option<String>, String>> + Send>>;

/// Cluster mode: consecutive writes gathered into one entry.
pub struct PendingWrites {
    pub db: usize,
    pub commands: Vec<redraft_raft::Argv>,
    /// A MULTI/EXEC body of this many commands: its replies are wrapped in one array.
    pub exec: Option<usize>,
    /// A lone blocking command: it may block.
    pub blocking: bool,
    /// Table statistics index of each command.
    pub stats: Vec<usize>,
}

impl PendingWrites {
    pub fn new(db: usize) -> Self {
        PendingWrites {
            db,
            commands: vec![],
            exec: None,
            blocking: false,
            stats: vec![],
        }
    }

    pub fn push(&mut self, argv: &[&[u8]]) {
        self.commands.push(
            argv.iter()
                .map(|a| serde_bytes::ByteBuf::from(a.to_vec()))
                .collect(),
        );
    }
}

/// Input side of a connection: the read buffer and what has been parsed from it.
struct Input {
    buf: Vec<u8>,
    parser: RequestParser,
    ranges: Vec<Range<usize>>,
    bounds: Vec<(usize, usize)>,
}

pub(crate) enum Step {
    Done,
    Paused(Instant),
    /// Parked in a blocking command until served, or until the deadline (None: forever).
    Blocked(Option<Instant>),
    /// Cluster mode: the write joined the batch's entry (`flush`: propose it now).
    Queued {
        flush: bool,
    },
    /// Cluster mode: the batch's entry must be proposed before this command runs.
    Flush,
}

const DENIED: &[u8] = b"-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Set up an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

fn fmt_addr(a: &SocketAddr) -> String {
    match a {
        SocketAddr::V4(v) => format!("{}:{}", v.ip(), v.port()),
        SocketAddr::V6(v) => format!("{}:{}", v.ip(), v.port()),
    }
}

pub async fn serve(shared: Arc<Shared>, stream: TcpStream) {
    let (Ok(peer), Ok(local)) = (stream.peer_addr(), stream.local_addr()) else {
        return;
    };
    let settings = shared.settings();
    shared
        .stats
        .connections_received
        .fetch_add(1, Ordering::Relaxed);
    let is_local = peer.ip().is_loopback();
    if settings.protected_mode && settings.requirepass.is_none() && !is_local {
        refuse(stream, DENIED).await;
        shared
            .stats
            .rejected_connections
            .fetch_add(1, Ordering::Relaxed);
        return;
    }
    if shared.clients.len() >= settings.maxclients {
        refuse(stream, b"-ERR max number of clients reached\r\n").await;
        shared
            .stats
            .rejected_connections
            .fetch_add(1, Ordering::Relaxed);
        return;
    }
    let _ = stream.set_nodelay(true);
    if settings.tcp_keepalive > 0 {
        let ka =
            socket2::TcpKeepalive::new().with_time(Duration::from_secs(settings.tcp_keepalive));
        let _ = socket2::SockRef::from(&stream).set_tcp_keepalive(&ka);
    }
    let fd = {
        use std::os::fd::AsRawFd;
        stream.as_raw_fd()
    };
    let (mut rd, wr) = stream.into_split();
    let (client, push_rx) = shared
        .clients
        .register(fmt_addr(&peer), fmt_addr(&local), fd);
    let wr = Arc::new(wr);
    let _ = client.sock.set(wr.clone());
    let writer = tokio::spawn(write_loop(
        shared.clone(),
        Arc::downgrade(&client),
        wr,
        client.gate.clone(),
        push_rx,
    ));
    client.touch();
    let mut sess = SessionState {
        client: client.clone(),
        db: 0,
        authenticated: settings.requirepass.is_none(),
        reply_mode: ReplyMode::On,
        skip_current: false,
        monitor: false,
        action: None,
        local: is_local,
        multi: None,
        watched: vec![],
        subs: Subscriptions::default(),
        pending: None,
        read_ok: true,
        deferred: None,
    };
    drop(settings);
    let mut input = Input {
        buf: Vec::with_capacity(16 * 1024),
        parser: RequestParser::new(),
        ranges: vec![],
        bounds: vec![],
    };
    let mut out = Reply::new(Protocol::Resp2);
    tracing::debug!(id = client.id, addr = %client.addr, "client connected");
    loop {
        let spare = input.buf.capacity() - input.buf.len();
        let want = input.parser.wanted().max(16 * 1024);
        if spare < want.min(1 << 20) {
            input.buf.reserve(want.min(1 << 20));
        }
        tokio::select! {
            _ = client.killed() => break,
            r = rd.read_buf(&mut input.buf) => {
                match r {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        shared.stats.net_input_bytes.fetch_add(n as u64, Ordering::Relaxed);
                        shared.stats.reads_processed.fetch_add(1, Ordering::Relaxed);
                        if !process(&shared, &mut sess, &mut rd, &mut input, &mut out).await {
                            break;
                        }
                        if input.buf.len() > shared.settings().query_buffer_limit {
                            tracing::warn!(id = client.id, addr = %client.addr, "closing client that reached max query buffer length");
                            shared.stats.query_buffer_disconnections.fetch_add(1, Ordering::Relaxed);
                            break;
                        }
                    }
                }
            }
        }
    }
    if sess.monitor {
        remove_monitor(&shared, client.id);
    }
    // A busy script may hold the core for long: wait for it without holding a runtime
    // thread.
    loop {
        if let Some(mut core) = shared.core.try_lock_for(CORE_WAIT) {
            let core = &mut *core;
            core.waiters.unblock(&mut core.engine, client.id);
            core.waiters
                .unwatch_all(&mut core.engine, client.id, &sess.watched);
            unsubscribe_all(&mut core.pubsub, &mut sess.subs, client.id);
            break;
        }
        tokio::time::sleep(CORE_WAIT).await;
    }
    shared.clients.unregister(client.id);
    let killed = client.is_killed();
    drop(sess);
    drop(client);
    if killed {
        writer.abort();
    }
    tracing::debug!("client disconnected");
}

/// Sends a refusal and closes gracefully: what the client already sent is read and
/// dropped briefly, so the close does not turn into a reset that loses the message.
async fn refuse(mut stream: TcpStream, msg: &[u8]) {
    let _ = stream.write_all(msg).await;
    let _ = stream.shutdown().await;
    let mut sink = [0u8; 4096];
    let _ = tokio::time::timeout(Duration::from_millis(200), async {
        while let Ok(n) = stream.read(&mut sink).await {
            if n == 0 {
                break;
            }
        }
    })
    .await;
}

/// Writes replies (and pushes such as MONITOR lines) in the order queued. Running apart
/// from the reader, a client that pipelines without reading never stalls the parsing of
/// its own commands. Ends when every sender is gone (the session has finished).
async fn write_loop(
    shared: Arc<Shared>,
    // Only a weak hold on the client: the writer must not keep its own channel open.
    client: std::sync::Weak<Client>,
    wr: Arc<tokio::net::tcp::OwnedWriteHalf>,
    gate: Arc<parking_lot::Mutex<()>>,
    mut rx: tokio::sync::mpsc::UnboundedReceiver<Vec<u8>>,
) {
    while let Some(buf) = rx.recv().await {
        let mut off = 0;
        while off < buf.len() {
            if wr.writable().await.is_err() {
                return;
            }
            let r = {
                let _gate = gate.lock();
                wr.try_write(&buf[off..])
            };
            match r {
                Ok(n) => off += n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(_) => return,
            }
        }
        if let Some(c) = client.upgrade() {
            c.out_bytes.fetch_sub(buf.len(), Ordering::Relaxed);
        }
        shared
            .stats
            .net_output_bytes
            .fetch_add(buf.len() as u64, Ordering::Relaxed);
        shared
            .stats
            .writes_processed
            .fetch_add(1, Ordering::Relaxed);
    }
}

/// Whether the commands of the batch from the `i`th on include a data read, which on
/// the leader waits for the read barrier.
fn batch_reads(input: &Input, i: usize) -> bool {
    input.bounds[i..].iter().any(|&(s, e)| {
        input.ranges[s..e].first().is_some_and(|r| {
            let name = &input.buf[r.clone()];
            name.eq_ignore_ascii_case(b"exec")
                || redraft_engine::commands::lookup(name).is_some_and(|c| !c.is_write())
        })
    })
}

/// `flush` for the cluster path.
pub(crate) fn flush_out(shared: &Shared, sess: &SessionState, out: &mut Reply) {
    flush(shared, sess, out)
}

/// Sends the replies gathered so far: straight to the socket when it takes them,
/// else through the writer.
fn flush(shared: &Shared, sess: &SessionState, out: &mut Reply) {
    if out.buf.is_empty() {
        return;
    }
    let n = sess.client.send_reply(&mut out.buf);
    if n > 0 {
        let stats = &shared.stats;
        stats
            .net_output_bytes
            .fetch_add(n as u64, Ordering::Relaxed);
        stats.writes_processed.fetch_add(1, Ordering::Relaxed);
    }
    // The buffer is reused; one that grew for a huge reply is given back.
    if out.buf.capacity() > 1 << 20 || out.buf.capacity() == 0 {
        out.buf = Vec::with_capacity(4096);
    }
}

/// Runs every complete command in the buffer. Returns false when the connection must
/// close.
async fn process(
    shared: &Arc<Shared>,
    sess: &mut SessionState,
    rd: &mut OwnedReadHalf,
    input: &mut Input,
    out: &mut Reply,
) -> bool {
    loop {
        // Phase 1: parse.
        let limits = Limits {
            max_bulk_len: shared.settings().proto_max_bulk_len,
            authenticated: sess.authenticated,
        };
        input.ranges.clear();
        input.bounds.clear();
        let mut proto_err = None;
        while input.bounds.len() < MAX_BATCH {
            match input.parser.next(&mut input.buf, limits) {
                Ok(Parsed::Command) => {
                    let start = input.ranges.len();
                    input.ranges.extend(input.parser.args().iter().cloned());
                    input.bounds.push((start, input.ranges.len()));
                }
                Ok(Parsed::Incomplete) => break,
                Err(e) => {
                    proto_err = Some(e);
                    break;
                }
            }
        }
        let more = input.bounds.len() == MAX_BATCH;
        // Bytes the client sent while parked wait in the buffer: parse them now, as no
        // new read may ever come to trigger it.
        let mut waited = false;
        // Phase 2: run.
        let mut i = 0;
        let mut last_cmd = None;
        let cluster = shared.cluster.get();
        while i < input.bounds.len() {
            let mut paused = None;
            let mut parked = None;
            let mut proposal = None;
            if let Some(cl) = cluster {
                sess.read_ok =
                    !cl.is_leader() || !batch_reads(input, i) || cl.read_barrier().await.is_ok();
            }
            {
                let now = unix_ms();
                let settings = shared.settings();
                let Some(mut core) = lock_core(shared, &settings) else {
                    // A script has run past `busy-reply-threshold`: this command is
                    // answered without the lock.
                    let (s, e) = input.bounds[i];
                    let argv: Vec<&[u8]> = input.ranges[s..e]
                        .iter()
                        .map(|r| &input.buf[r.clone()])
                        .collect();
                    while_busy(shared, sess, &argv, out);
                    flush(shared, sess, out);
                    i += 1;
                    if !act(shared, sess, out) {
                        return false;
                    }
                    continue;
                };
                let mut argv: Vec<&[u8]> = Vec::with_capacity(8);
                while i < input.bounds.len() {
                    let (s, e) = input.bounds[i];
                    argv.clear();
                    argv.extend(input.ranges[s..e].iter().map(|r| &input.buf[r.clone()]));
                    if argv.is_empty() {
                        i += 1;
                        continue;
                    }
                    match execute(
                        shared,
                        &mut core,
                        sess,
                        &argv,
                        now,
                        out,
                        &settings,
                        &mut last_cmd,
                    ) {
                        Step::Done => i += 1,
                        Step::Paused(until) => {
                            paused = Some(until);
                            break;
                        }
                        Step::Blocked(deadline) => {
                            parked = Some(deadline);
                            i += 1;
                            break;
                        }
                        Step::Queued { flush } => {
                            i += 1;
                            if flush {
                                break;
                            }
                        }
                        Step::Flush => break,
                    }
                    if sess.action.is_some() || out.buf.len() >= FLUSH_AT {
                        break;
                    }
                }
                // Cluster mode: the batch's writes are proposed now, under the lock, so
                // that the log keeps the order in which they were accepted.
                if let (Some(cl), Some(p)) = (cluster, sess.pending.take()) {
                    proposal = Some(crate::proposal::propose(cl, &mut core, p, now, out));
                }
                // What the batch wrote reaches the AOF (and, with `appendfsync always`,
                // the disk) before its replies leave. Replies leave while the lock is
                // held, so that a message published after this batch can never
                // overtake them.
                crate::aof::flush(&mut core);
                flush(shared, sess, out);
            }
            if let Some(stat) = last_cmd.take() {
                let mut m = sess.client.meta.lock();
                m.last_cmd.clone_from(&shared.table.names[stat]);
                m.qbuf = input.buf.len();
            }
            sess.client.touch();
            if let Some(d) = sess.deferred.take() {
                flush(shared, sess, out);
                match d.await {
                    Ok(None) => out.ok(),
                    Ok(Some(text)) => out.bulk(text.as_bytes()),
                    Err(e) => out.error(&e),
                }
                flush(shared, sess, out);
            }
            if let (Some(cl), Some(prop)) = (cluster, proposal) {
                if !crate::proposal::finish(shared, cl, sess, rd, &mut input.buf, prop, out).await {
                    return false;
                }
                flush(shared, sess, out);
            }
            if !act(shared, sess, out) {
                return false;
            }
            if let Some(until) = paused {
                let wait = until.saturating_duration_since(Instant::now());
                let _ = tokio::time::timeout(wait, shared.unpaused.notified()).await;
            }
            if let Some(deadline) = parked {
                waited = true;
                if !wait_unblocked(shared, sess, rd, &mut input.buf, deadline, out.proto).await {
                    return false;
                }
            }
        }
        if let Some(e) = proto_err {
            tracing::debug!(id = sess.client.id, error = %e, "protocol error, closing client");
            out.error(&format!("ERR {e}"));
            flush(shared, sess, out);
            return false;
        }
        let consumed = input.parser.consumed();
        input.buf.drain(..consumed);
        input.parser.advance();
        if !more && !waited {
            return true;
        }
    }
}

/// How long a task tries for the core lock before it yields its runtime thread.
const CORE_WAIT: Duration = Duration::from_millis(5);

/// Carries out what the last command asked of the connection (QUIT, SHUTDOWN).
/// False when the connection must end.
fn act(shared: &Shared, sess: &mut SessionState, out: &mut Reply) -> bool {
    match sess.action.take() {
        None => true,
        Some(Action::Close) => {
            flush(shared, sess, out);
            false
        }
        Some(Action::Shutdown) => {
            shared.shutting_down.store(true, Ordering::SeqCst);
            shared.shutdown.notify_one();
            false
        }
    }
}

/// Takes the core lock, unless a script holds it past `busy-reply-threshold` (None:
/// the caller answers without it, as Redis answers while a script is busy).
fn lock_core<'a>(
    shared: &'a Shared,
    settings: &Settings,
) -> Option<parking_lot::MutexGuard<'a, Core>> {
    loop {
        if let Some(g) = shared.core.try_lock_for(Duration::from_millis(5)) {
            return Some(g);
        }
        let watch = redraft_script::watch();
        if watch
            .running_for(unix_ms())
            .is_some_and(|ms| ms >= settings.busy_reply_threshold)
        {
            return None;
        }
    }
}

/// One command while a script is busy: `SCRIPT KILL` stops a script that has not
/// written, `SHUTDOWN NOSAVE` stops it in any case and then shuts down once the lock
/// is free; everything else is `-BUSY`.
fn while_busy(shared: &Shared, sess: &mut SessionState, argv: &[&[u8]], out: &mut Reply) {
    let is = |i: usize, w: &str| {
        argv.get(i)
            .is_some_and(|a| a.eq_ignore_ascii_case(w.as_bytes()))
    };
    let watch = redraft_script::watch();
    if argv.len() == 2 && is(0, "script") && is(1, "kill") {
        match watch.kill() {
            Ok(()) => out.ok(),
            Err(e) => out.error(e),
        }
    } else if argv.len() == 2 && is(0, "shutdown") && is(1, "nosave") {
        watch.force_kill();
        if let Some(mut core) = shared.core.try_lock_for(Duration::from_secs(5)) {
            let now = unix_ms();
            let settings = shared.settings();
            let mut last = None;
            execute(
                shared, &mut core, sess, argv, now, out, &settings, &mut last,
            );
        } else {
            out.error(redraft_script::BUSY);
        }
    } else {
        out.error(redraft_script::BUSY);
        shared.count_error(b"-BUSY");
    }
}

/// Resolves, checks and runs one command, accounting for it in the statistics.
#[allow(clippy::too_many_arguments)]
fn execute(
    shared: &Shared,
    core: &mut Core,
    sess: &mut SessionState,
    argv: &[&[u8]],
    now: i64,
    out: &mut Reply,
    settings: &Settings,
    last_cmd: &mut Option<usize>,
) -> Step {
    let start = out.buf.len();
    let r = match shared.table.resolve(argv) {
        Ok(r) => r,
        Err((msg, stat)) => {
            if let Some(s) = stat {
                shared.table.stats[s]
                    .rejected
                    .fetch_add(1, Ordering::Relaxed);
            }
            return reject(shared, sess, out, start, &msg);
        }
    };
    let flags = r.exec.flags();
    if sess.pending.is_some()
        && !(sess.multi.is_none()
            && flags & redraft_engine::flags::BLOCKING == 0
            && (matches!(r.exec, Exec::Engine(c) if c.is_write())
                || (r.exec.name() == "publish" && r.parent.is_none())))
    {
        return Step::Flush;
    }
    if !sess.authenticated && flags & NO_AUTH == 0 {
        shared.table.stats[r.stat]
            .rejected
            .fetch_add(1, Ordering::Relaxed);
        return reject(shared, sess, out, start, "NOAUTH Authentication required.");
    }
    let name = r.exec.name();
    let full = || shared.table.names[r.stat].clone();
    if sess.subs.count() > 0
        && !out.resp3()
        && r.parent.is_none()
        && !allowed_while_subscribed(name)
    {
        let msg = format!("ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context", full());
        return reject(shared, sess, out, start, &msg);
    }
    if flags & redraft_engine::flags::LOADING == 0 && shared.loading.active() {
        shared.table.stats[r.stat]
            .rejected
            .fetch_add(1, Ordering::Relaxed);
        return reject(shared, sess, out, start, crate::loading::LOADING_ERR);
    }
    if sess.multi.is_some()
        && r.parent.is_none()
        && matches!(
            name,
            "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
        )
    {
        // Transaction control runs now.
    } else if let Some(m) = sess.multi.as_mut() {
        if flags & NO_MULTI != 0 {
            m.failed = true;
            return reject(
                shared,
                sess,
                out,
                start,
                "ERR Command not allowed inside a transaction",
            );
        }
        m.queued.push(argv.iter().map(|a| a.to_vec()).collect());
        sess.client.meta.lock().multi = m.queued.len() as i64;
        out.simple("QUEUED");
        return Step::Done;
    }
    if let Some(until) = paused_until(shared, &r, flags) {
        return Step::Paused(until);
    }
    if settings.maxmemory > 0 {
        crate::evict::perform(shared, core, settings, now);
        if flags & DENYOOM != 0 && crate::alloc::used_memory() as u64 > settings.maxmemory {
            shared.table.stats[r.stat]
                .rejected
                .fetch_add(1, Ordering::Relaxed);
            return reject(
                shared,
                sess,
                out,
                start,
                "OOM command not allowed when used memory > 'maxmemory'.",
            );
        }
    }
    if flags & WRITE != 0 || name == "ping" {
        let refused = if crate::rdb::writes_refused(shared) {
            Some(crate::rdb::MISCONF.to_string())
        } else {
            crate::aof::misconf(shared)
        };
        if let Some(msg) = refused {
            shared.table.stats[r.stat]
                .rejected
                .fetch_add(1, Ordering::Relaxed);
            return reject(shared, sess, out, start, &msg);
        }
    }
    if let Some(cl) = shared.cluster.get() {
        if let Some(step) = crate::proposal::route(shared, cl, core, sess, &r, argv, out, start) {
            return step;
        }
    }
    let db = sess.db;
    let skip = sess.skip_current;
    let monitored = shared.monitor_count.load(Ordering::Relaxed) > 0;
    core.repl.monitoring = monitored;
    let t0 = Instant::now();
    let would_block = run_command(shared, core, sess, r.exec, argv, now, out, true);
    if would_block {
        let deadline = block_deadline(argv, now);
        let keys = match redraft_engine::commands::list::blocking_keys(argv) {
            k if k.is_empty() => r.exec.keys().positions(argv),
            k => k,
        };
        let b = Blocked {
            client: sess.client.clone(),
            db,
            argv: argv.iter().map(|a| a.to_vec()).collect(),
            keys: keys
                .iter()
                .filter_map(|&i| argv.get(i))
                .map(|k| Box::<[u8]>::from(*k))
                .collect(),
            proto: out.proto,
        };
        core.waiters.block(&mut core.engine, b);
        *last_cmd = Some(r.stat);
        return Step::Blocked(deadline);
    }
    let micros = t0.elapsed().as_micros() as u64;
    let stat = &shared.table.stats[r.stat];
    stat.calls.fetch_add(1, Ordering::Relaxed);
    stat.usec.fetch_add(micros, Ordering::Relaxed);
    shared
        .stats
        .commands_processed
        .fetch_add(1, Ordering::Relaxed);
    if out.buf.get(start) == Some(&b'-') {
        stat.failed.fetch_add(1, Ordering::Relaxed);
        shared.count_error(&out.buf[start..]);
    }
    if settings.slowlog_slower_than >= 0 && micros as i64 >= settings.slowlog_slower_than {
        let name = sess.client.meta.lock().name.clone();
        slowlog_push(shared, micros, argv, &sess.client.addr, &name);
    }
    if settings.latency_threshold_ms > 0 {
        let ev = if flags & redraft_engine::flags::FAST != 0 {
            "fast-command"
        } else {
            "command"
        };
        shared.latency_event(ev, micros / 1000);
    }
    // Scripts show as Redis shows them: the EVAL, then each command it ran as `lua`.
    let script =
        matches!(r.exec, Exec::Engine(c) if redraft_engine::scripting::is_script_command(c));
    if monitored && (flags & (SKIP_MONITOR | ADMIN) == 0 || script) {
        // After the command, as Redis: a SELECT shows the database it selected.
        let mut lines = vec![monitor_line(sess.db, &sess.client.addr, argv)];
        for (db, call) in core.repl.script_calls.drain(..) {
            let call: Vec<&[u8]> = call.iter().map(|a| &a[..]).collect();
            lines.push(monitor_line(db, "lua", &call));
        }
        for (_, c) in shared.monitors.lock().iter() {
            for line in &lines {
                c.send(line.clone());
            }
        }
    }
    core.repl.script_calls.clear();
    finish_reply(sess, out, start, skip);
    *last_cmd = Some(r.stat);
    if sess.deferred.is_some() || sess.pending.as_ref().is_some_and(|p| p.exec.is_some()) {
        // EXEC in cluster mode: its body is proposed as one entry.
        return Step::Queued { flush: true };
    }
    Step::Done
}

/// Applies `CLIENT REPLY OFF|SKIP` to the reply just written.
fn finish_reply(sess: &mut SessionState, out: &mut Reply, start: usize, skip: bool) {
    if sess.reply_mode == ReplyMode::Off || skip {
        out.buf.truncate(start);
    }
    if skip {
        sess.skip_current = false;
    }
    if sess.reply_mode == ReplyMode::SkipNext {
        sess.reply_mode = ReplyMode::On;
        sess.skip_current = true;
    }
}

pub(crate) fn reject(
    shared: &Shared,
    sess: &mut SessionState,
    out: &mut Reply,
    start: usize,
    msg: &str,
) -> Step {
    if let Some(m) = sess.multi.as_mut() {
        m.failed = true;
    }
    out.error(msg);
    shared.count_error(&out.buf[start..]);
    let skip = sess.skip_current;
    finish_reply(sess, out, start, skip);
    Step::Done
}

/// Runs one resolved-and-checked command: data writes through the replicator (then the
/// waiters they concern), data reads on the engine, server commands with the session.
/// Returns true if a blocking command found nothing and `may_block` let it block.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run_command(
    shared: &Shared,
    core: &mut Core,
    sess: &mut SessionState,
    exec: Exec,
    argv: &[&[u8]],
    now: i64,
    out: &mut Reply,
    may_block: bool,
) -> bool {
    match exec {
        Exec::Engine(c) if c.is_write() => {
            let blocked = core.repl.write_command(
                &mut core.engine,
                &mut core.pubsub,
                c,
                sess.db,
                now,
                argv,
                out,
                may_block,
            );
            core.after_write(now);
            blocked
        }
        Exec::Engine(c) => {
            let seed = core.repl.read_seed();
            core.engine.run(c, sess.db, now, seed, argv, out);
            false
        }
        Exec::Server(c) => {
            let mut call = Call {
                shared,
                core,
                sess,
                args: argv,
                reply: out,
                now,
            };
            if let Err(e) = (c.handler)(&mut call) {
                out.error(&e.0);
            }
            false
        }
    }
}

/// When a blocking command's timeout ends (None: it waits forever), computed exactly
/// as the engine validated it (Redis's rounding up to whole milliseconds).
pub(crate) fn block_deadline(argv: &[&[u8]], now: i64) -> Option<Instant> {
    use redraft_engine::commands::list::{blocking_deadline, blocking_timeout_arg};
    let name = argv.first()?;
    let arg = blocking_timeout_arg(argv).or_else(|| {
        if name.eq_ignore_ascii_case(b"bzmpop") {
            argv.get(1).copied()
        } else {
            argv.last().copied()
        }
    })?;
    let at = blocking_deadline(arg, now).ok().flatten()?;
    Some(Instant::now() + Duration::from_millis(at.saturating_sub(now).max(0) as u64))
}

/// Waits while parked in a blocking command: until served (the reply is then already
/// queued to the writer), until the timeout (a null reply), or until killed. Returns
/// false if the connection must close.
pub(crate) async fn wait_unblocked(
    shared: &Shared,
    sess: &mut SessionState,
    rd: &mut OwnedReadHalf,
    buf: &mut Vec<u8>,
    deadline: Option<Instant>,
    proto: redraft_engine::Protocol,
) -> bool {
    let client = sess.client.clone();
    let sleep = async {
        match deadline {
            Some(d) => tokio::time::sleep_until(d.into()).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(sleep);
    let timed_out = loop {
        tokio::select! {
            _ = client.wake.notified() => break false,
            _ = &mut sleep => break true,
            _ = client.killed() => return false,
            // Keep reading: a client that goes away while parked is forgotten at once,
            // and what it pipelines meanwhile waits in the buffer.
            r = rd.read_buf(buf) => match r {
                Ok(0) | Err(_) => return false,
                Ok(n) => {
                    shared.stats.net_input_bytes.fetch_add(n as u64, Ordering::Relaxed);
                    if buf.len() > shared.settings().query_buffer_limit {
                        return false;
                    }
                }
            },
        }
    };
    if timed_out {
        loop {
            if let Some(mut core) = shared.core.try_lock_for(CORE_WAIT) {
                let core = &mut *core;
                if core.waiters.unblock(&mut core.engine, client.id).is_some() {
                    client.send(timeout_reply(proto));
                }
                break;
            }
            tokio::time::sleep(CORE_WAIT).await;
        }
    }
    true
}

/// When the command must wait for `CLIENT PAUSE` to end, until when.
fn paused_until(shared: &Shared, r: &Resolved, flags: u32) -> Option<Instant> {
    if !shared.pause_active.load(Ordering::Relaxed) {
        return None;
    }
    let p = *shared.pause.lock();
    let until = p.until?;
    if until <= Instant::now() {
        shared.pause_active.store(false, Ordering::Relaxed);
        return None;
    }
    if let Some(parent) = r.parent {
        if parent.name() == "client" && r.exec.name() == "unpause" {
            return None;
        }
    }
    if p.writes_only && flags & (WRITE | MAY_REPLICATE) == 0 {
        return None;
    }
    Some(until)
}
