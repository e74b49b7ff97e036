//! Pub/sub: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH, PUBSUB.
//!
//! Subscriptions live in the core (PUBLISH runs under the core lock, so every
//! subscriber sees messages in one global order). Messages go straight to each
//! subscriber's writer, as RESP2 arrays or RESP3 pushes; a subscriber whose unsent output
//! passes `client-output-buffer-limit pubsub` is disconnected instead of growing memory.

use super::{cmd, Call, ServerCommand};
use crate::clients::Client;
use indexmap::{IndexMap, IndexSet};
use redraft_engine::args::is;
use redraft_engine::glob::glob_match;
use redraft_engine::{flags::*, CmdResult, Error, Keys, Protocol, Reply};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

const F: u32 = PUBSUB | NOSCRIPT | LOADING | STALE;

pub const COMMANDS: &[ServerCommand] = &[
    cmd(
        "subscribe",
        -2,
        F,
        Keys::None,
        "pubsub",
        "2.0.0",
        "Listens for messages published to channels.",
        subscribe,
    ),
    cmd(
        "unsubscribe",
        -1,
        F,
        Keys::None,
        "pubsub",
        "2.0.0",
        "Stops listening to messages posted to channels.",
        unsubscribe,
    ),
    cmd(
        "psubscribe",
        -2,
        F,
        Keys::None,
        "pubsub",
        "2.0.0",
        "Listens for messages published to channels that match one or more patterns.",
        psubscribe,
    ),
    cmd(
        "punsubscribe",
        -1,
        F,
        Keys::None,
        "pubsub",
        "2.0.0",
        "Stops listening to messages published to channels that match one or more patterns.",
        punsubscribe,
    ),
    cmd(
        "publish",
        3,
        PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE,
        Keys::None,
        "pubsub",
        "2.0.0",
        "Posts a message to a channel.",
        publish,
    ),
    cmd(
        "pubsub",
        -2,
        0,
        Keys::None,
        "pubsub",
        "2.8.0",
        "A container for Pub/Sub commands.",
        help,
    )
    .with_subcommands(&[
        cmd(
            "channels",
            -2,
            PUBSUB | LOADING | STALE,
            Keys::None,
            "pubsub",
            "2.8.0",
            "Returns the active channels.",
            channels,
        ),
        cmd(
            "numsub",
            -2,
            PUBSUB | LOADING | STALE,
            Keys::None,
            "pubsub",
            "2.8.0",
            "Returns a count of subscribers to channels.",
            numsub,
        ),
        cmd(
            "numpat",
            2,
            PUBSUB | LOADING | STALE,
            Keys::None,
            "pubsub",
            "2.8.0",
            "Returns a count of unique pattern subscriptions.",
            numpat,
        ),
        cmd(
            "help",
            2,
            LOADING | STALE,
            Keys::None,
            "pubsub",
            "6.2.0",
            "Returns helpful text about the different subcommands.",
            help,
        ),
    ]),
];

/// Channel and pattern subscriptions, with subscribers in subscription order.
#[derive(Default)]
pub struct PubSub {
    channels: HashMap<Box<[u8]>, IndexMap<u64, Arc<Client>>>,
    patterns: IndexMap<Box<[u8]>, IndexMap<u64, Arc<Client>>>,
    /// `client-output-buffer-limit pubsub`: hard bytes, soft bytes, soft seconds.
    pub limits: (u64, u64, u64),
    /// Subscribers disconnected for passing those limits (INFO).
    pub disconnections: u64,
}

impl PubSub {
    pub fn with_limits(limits: (u64, u64, u64)) -> Self {
        PubSub {
            limits,
            ..Default::default()
        }
    }

    /// Channels with at least one subscriber (INFO `pubsub_channels`).
    pub fn channel_count(&self) -> usize {
        self.channels.len()
    }
    /// Patterns with at least one subscriber (INFO `pubsub_patterns`).
    pub fn pattern_count(&self) -> usize {
        self.patterns.len()
    }
}

/// A session's own subscriptions (counts in replies, cleanup on RESET/disconnect).
#[derive(Default)]
pub struct Subscriptions {
    pub channels: IndexSet<Box<[u8]>>,
    pub patterns: IndexSet<Box<[u8]>>,
}

impl Subscriptions {
    pub fn count(&self) -> usize {
        self.channels.len() + self.patterns.len()
    }
}

fn confirm(reply: &mut Reply, kind: &str, name: Option<&[u8]>, count: usize) {
    reply.push(3);
    reply.bulk(kind.as_bytes());
    match name {
        Some(n) => reply.bulk(n),
        None => reply.null(),
    }
    reply.int(count as i64);
}

fn sync_meta(call: &Call) {
    let mut m = call.sess.client.meta.lock();
    m.subs = call.sess.subs.channels.len();
    m.psubs = call.sess.subs.patterns.len();
}

fn subscribe(call: &mut Call) -> CmdResult {
    subscribe_generic(call, false)
}

fn psubscribe(call: &mut Call) -> CmdResult {
    subscribe_generic(call, true)
}

/// SUBSCRIBE / PSUBSCRIBE: registers the session on each channel (pattern) once.
fn subscribe_generic(call: &mut Call, patterns: bool) -> CmdResult {
    let client = call.sess.client.clone();
    let kind = if patterns { "psubscribe" } else { "subscribe" };
    for name in &call.args[1..] {
        let ps = &mut call.core.pubsub;
        let subs = &mut call.sess.subs;
        let subscribers = if patterns && subs.patterns.insert((*name).into()) {
            Some(ps.patterns.entry((*name).into()).or_default())
        } else if !patterns && subs.channels.insert((*name).into()) {
            Some(ps.channels.entry((*name).into()).or_default())
        } else {
            None
        };
        if let Some(s) = subscribers {
            s.insert(client.id, client.clone());
        }
        confirm(call.reply, kind, Some(name), call.sess.subs.count());
    }
    sync_meta(call);
    Ok(())
}

fn drop_channel(ps: &mut PubSub, ch: &[u8], id: u64) {
    if let Some(subs) = ps.channels.get_mut(ch) {
        subs.shift_remove(&id);
        if subs.is_empty() {
            ps.channels.remove(ch);
        }
    }
}

fn drop_pattern(ps: &mut PubSub, p: &[u8], id: u64) {
    if let Some(subs) = ps.patterns.get_mut(p) {
        subs.shift_remove(&id);
        if subs.is_empty() {
            ps.patterns.shift_remove(p);
        }
    }
}

fn unsubscribe(call: &mut Call) -> CmdResult {
    unsubscribe_generic(call, false)
}

fn punsubscribe(call: &mut Call) -> CmdResult {
    unsubscribe_generic(call, true)
}

/// UNSUBSCRIBE / PUNSUBSCRIBE: the named channels (patterns), or all of them.
fn unsubscribe_generic(call: &mut Call, patterns: bool) -> CmdResult {
    let id = call.sess.client.id;
    let kind = if patterns {
        "punsubscribe"
    } else {
        "unsubscribe"
    };
    let targets: Vec<Box<[u8]>> = match (call.args.len(), patterns) {
        (1, false) => call.sess.subs.channels.iter().cloned().collect(),
        (1, true) => call.sess.subs.patterns.iter().cloned().collect(),
        _ => call.args[1..]
            .iter()
            .map(|c| Box::<[u8]>::from(*c))
            .collect(),
    };
    if targets.is_empty() {
        confirm(call.reply, kind, None, call.sess.subs.count());
    }
    for name in targets {
        let ps = &mut call.core.pubsub;
        if patterns && call.sess.subs.patterns.shift_remove(&name) {
            drop_pattern(ps, &name, id);
        } else if !patterns && call.sess.subs.channels.shift_remove(&name) {
            drop_channel(ps, &name, id);
        }
        confirm(call.reply, kind, Some(&name), call.sess.subs.count());
    }
    sync_meta(call);
    Ok(())
}

/// Drops every subscription of a session (RESET, disconnect).
pub fn unsubscribe_all(ps: &mut PubSub, subs: &mut Subscriptions, id: u64) {
    for ch in subs.channels.drain(..) {
        drop_channel(ps, &ch, id);
    }
    for p in subs.patterns.drain(..) {
        drop_pattern(ps, &p, id);
    }
}

/// Encodes a message once per protocol, on demand.
struct Encoded<'a> {
    parts: &'a [&'a [u8]],
    kind: &'static str,
    resp2: Option<Vec<u8>>,
    resp3: Option<Vec<u8>>,
}

impl Encoded<'_> {
    fn get(&mut self, resp3: bool) -> Vec<u8> {
        let (slot, proto) = if resp3 {
            (&mut self.resp3, Protocol::Resp3)
        } else {
            (&mut self.resp2, Protocol::Resp2)
        };
        slot.get_or_insert_with(|| {
            let mut r = Reply::new(proto);
            r.push(self.parts.len() + 1);
            r.bulk(self.kind.as_bytes());
            for p in self.parts {
                r.bulk(p);
            }
            r.buf
        })
        .clone()
    }
}

/// Delivers one message to a subscriber, enforcing the pub/sub output buffer limits.
fn deliver(limits: (u64, u64, u64), disconnections: &mut u64, c: &Client, msg: Vec<u8>) {
    c.send(msg);
    let pending = c.out_bytes.load(Ordering::Relaxed) as u64;
    let (hard, soft, secs) = limits;
    let now_ms = c.created.elapsed().as_millis() as u64 + 1;
    let over = if hard > 0 && pending > hard {
        true
    } else if soft > 0 && pending > soft {
        let since = c.over_soft_since.load(Ordering::Relaxed);
        if since == 0 {
            c.over_soft_since.store(now_ms, Ordering::Relaxed);
            false
        } else {
            now_ms - since >= secs * 1000
        }
    } else {
        c.over_soft_since.store(0, Ordering::Relaxed);
        false
    };
    if over && !c.is_killed() {
        tracing::warn!(id = c.id, addr = %c.addr, pending, "client scheduled to be closed ASAP for overcoming of output buffer limits");
        *disconnections += 1;
        c.kill();
    }
}

/// Sends `message` on `channel` to every subscriber; returns how many received it.
pub fn publish_message(ps: &mut PubSub, channel: &[u8], message: &[u8]) -> usize {
    let mut n = 0;
    let limits = ps.limits;
    let mut disconnections = 0;
    if let Some(subs) = ps.channels.get(channel) {
        let parts = [channel, message];
        let mut enc = Encoded {
            parts: &parts,
            kind: "message",
            resp2: None,
            resp3: None,
        };
        for c in subs.values() {
            deliver(
                limits,
                &mut disconnections,
                c,
                enc.get(c.resp3.load(Ordering::Relaxed)),
            );
            n += 1;
        }
    }
    for (pat, subs) in &ps.patterns {
        if !glob_match(pat, channel, false) {
            continue;
        }
        let parts = [&pat[..], channel, message];
        let mut enc = Encoded {
            parts: &parts,
            kind: "pmessage",
            resp2: None,
            resp3: None,
        };
        for c in subs.values() {
            deliver(
                limits,
                &mut disconnections,
                c,
                enc.get(c.resp3.load(Ordering::Relaxed)),
            );
            n += 1;
        }
    }
    ps.disconnections += disconnections;
    n
}

fn publish(call: &mut Call) -> CmdResult {
    let n = publish_message(&mut call.core.pubsub, call.args[1], call.args[2]);
    call.reply.int(n as i64);
    Ok(())
}

fn channels(call: &mut Call) -> CmdResult {
    if call.args.len() > 3 {
        return Err(Error::new(
            "ERR wrong number of arguments for 'pubsub|channels' command",
        ));
    }
    let pat = call.args.get(2).copied();
    let names: Vec<&Box<[u8]>> = call
        .core
        .pubsub
        .channels
        .keys()
        .filter(|c| pat.is_none_or(|p| glob_match(p, c, false)))
        .collect();
    call.reply.bulks(names);
    Ok(())
}

fn numsub(call: &mut Call) -> CmdResult {
    call.reply.map(call.args.len() - 2);
    for ch in &call.args[2..] {
        call.reply.bulk(ch);
        call.reply
            .int(call.core.pubsub.channels.get(*ch).map_or(0, |s| s.len()) as i64);
    }
    Ok(())
}

fn numpat(call: &mut Call) -> CmdResult {
    call.reply.int(call.core.pubsub.patterns.len() as i64);
    Ok(())
}

fn help(call: &mut Call) -> CmdResult {
    if call.args.len() > 1 && !is(call.args[1], "help") {
        return Err(Error::new("ERR wrong number of arguments"));
    }
    super::help(
        call.reply,
        "PUBSUB",
        &[
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
        ],
    );
    Ok(())
}

/// Publishes the keyspace events the last writes raised (Redis's
/// `__keyspace@<db>__:<key>` / `__keyevent@<db>__:<event>` channels).
pub fn publish_keyspace_events(core: &mut crate::shared::Core) {
    use redraft_engine::db::notify::{KEYEVENT, KEYSPACE};
    for (i, db) in core.engine.dbs.iter_mut().enumerate() {
        if db.events.is_empty() {
            continue;
        }
        let flags = db.notify_flags;
        for (event, key) in std::mem::take(&mut db.events) {
            if flags & KEYSPACE != 0 {
                let mut ch = format!("__keyspace@{i}__:").into_bytes();
                ch.extend_from_slice(&key);
                publish_message(&mut core.pubsub, &ch, event.as_bytes());
            }
            if flags & KEYEVENT != 0 {
                let ch = format!("__keyevent@{i}__:{event}");
                publish_message(&mut core.pubsub, ch.as_bytes(), &key);
            }
        }
    }
}

/// Commands a RESP2 client may send while subscribed.
pub fn allowed_while_subscribed(name: &str) -> bool {
    matches!(
        name,
        "subscribe" | "unsubscribe" | "psubscribe" | "punsubscribe" | "ping" | "quit" | "reset"
    )
}
