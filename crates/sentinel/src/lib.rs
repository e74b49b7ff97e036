//! The Redis Sentinel protocol of a redraft node, as pure functions over a snapshot of
//! the cluster (`View`): no sockets, no Raft, no state kept between calls.
//!
//! In cluster mode every node answers the Sentinel protocol on its `sentinel-port`, so
//! that unmodified Sentinel clients (ioredis, redis-rb, redis-client/Sidekiq, go-redis,
//! redis-py) find the leader, which is the master, and follow failovers. The caller
//! (the server) owns the listener, the connections, their protocol version and
//! subscriptions, and builds a `View` from Raft's state; this crate computes:
//!
//! * `command`: the reply to one command, in RESP2 or RESP3 as the `Reply` is set up,
//!   plus an `Action` for what only the caller can do (subscribe, fail over, reset,
//!   close). See `commands.rs` for the commands the caller answers itself (`AUTH`,
//!   `HELLO`, the stateful `CLIENT` subcommands, and `PING` while subscribed in RESP2).
//! * `info` / `info_with`: the Sentinel `INFO` text.
//! * `events`: the `(channel, message)` pairs to publish when the view changes, with
//!   Redis's payloads (`+switch-master <name> <old-ip> <old-port> <new-ip> <new-port>`,
//!   `+sdown`/`-sdown`, ...); `reset_events` for `SENTINEL RESET`.
//!
//! Every reply follows a real Redis Sentinel (formats captured from redis-sentinel
//! 7.0.15 over raw sockets, in RESP2 and after `HELLO 3`, with the 7.2 differences
//! applied): instance entries are RESP3 maps or flat RESP2 arrays of bulk strings,
//! numbers included; `get-master-addr-by-name` is a null array when there is no
//! reachable leader, so clients ask another sentinel.

mod client;
mod commands;
mod entries;
mod events;
mod glob;
mod info;
mod sentinel;
mod table;
mod view;

#[cfg(test)]
mod tests;

pub use commands::{caller_handles, subscribed_ping};
pub use info::{InfoStats, REDIS_VERSION};
pub use view::{Addr, Node, SentinelPeer, View};

use redraft_resp::Reply;

/// What the caller must do besides sending the reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    None,
    /// `SENTINEL FAILOVER` was accepted (`+OK` written): transfer Raft leadership to an
    /// up-to-date voter, and report `failover_in_progress` in the views meanwhile.
    Failover,
    /// `SENTINEL RESET` matched the group (`:1` written): publish `reset_events`.
    Reset,
    /// Subscribe to these channels; the caller writes the confirmations.
    Subscribe(Vec<Vec<u8>>),
    /// Subscribe to these patterns; the caller writes the confirmations.
    PSubscribe(Vec<Vec<u8>>),
    /// Unsubscribe from these channels (empty: all); the caller writes the confirmations.
    Unsubscribe(Vec<Vec<u8>>),
    /// Unsubscribe from these patterns (empty: all); the caller writes the confirmations.
    PUnsubscribe(Vec<Vec<u8>>),
    /// Close the connection once the reply (`+OK` to `QUIT`) is written.
    Close,
}

/// Handles one command on the sentinel port (`argv[0]` is the command name, any case).
/// Writes the reply into `reply` (which knows RESP2 vs RESP3), except for:
///
/// * `SUBSCRIBE`, `PSUBSCRIBE`, `UNSUBSCRIBE`, `PUNSUBSCRIBE`: nothing is written (but
///   an arity error); the returned `Action` carries the channels or patterns and the
///   caller writes the confirmations, as it owns the subscriptions.
/// * `AUTH`, `HELLO` and `CLIENT ID|INFO|LIST|KILL|SETNAME|GETNAME|SETINFO|REPLY`
///   (exactly when `caller_handles(argv)`): nothing is written and `Action::None`
///   returned; the caller must answer them itself.
///
/// `INFO` is answered with zero process counters; a caller that wants live ones answers
/// `INFO` itself with `info_with` (as a bulk string, also in RESP3).
pub fn command(view: &View, argv: &[&[u8]], reply: &mut Reply) -> Action {
    commands::command(view, argv, reply)
}

/// The Sentinel INFO text for `section` (None: the default sections; several may be
/// given separated by spaces, as `INFO server sentinel`), with zero process counters.
pub fn info(view: &View, section: Option<&str>) -> String {
    let sections: Vec<&str> = section.map_or(Vec::new(), |s| s.split_whitespace().collect());
    info::render(view, &sections, &InfoStats::default())
}

/// The Sentinel INFO text for the `INFO` arguments `sections` (empty: the defaults),
/// with the caller's process counters.
pub fn info_with(view: &View, sections: &[&str], stats: &InfoStats) -> String {
    info::render(view, sections, stats)
}

/// Events to publish when the view changes from `old` to `new`, in order, each
/// `(channel, message)`; see `events.rs` for the sequences.
pub fn events(old: &View, new: &View) -> Vec<(String, String)> {
    events::events(old, new)
}

/// Events to publish after `SENTINEL RESET` matched (`Action::Reset`): `+reset-master`,
/// then `+sentinel` per peer and `+slave` per replica, as Sentinel rediscovers them.
pub fn reset_events(view: &View) -> Vec<(String, String)> {
    events::reset_events(view)
}
