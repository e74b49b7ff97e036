// Mastodon's streaming server pattern with ioredis (streaming/index.js, streaming/redis.js):
// one subscriber connection holding thousands of `timeline:*` channels, subscribed one by one
// as listeners arrive; a command connection keeping `subscribed:<channel>` fresh with
// `SET ... 1 EX 1080` (at subscribe time and on every heartbeat); Rails/Sidekiq publishers
// that check `EXISTS subscribed:timeline:<id>` and then PUBLISH JSON events concurrently.
// Every message must arrive, once, in publish order per channel.
//
// Runs against the real redraft binary on a free 127.0.0.1 port (always stopped);
// REDRAFT_APPS_TARGETS=redis (or redraft,redis) runs it against redis-server too.
const { describe, test, before, after } = require("node:test");
const assert = require("node:assert");
const { spawn } = require("node:child_process");
const net = require("node:net");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const Redis = require("ioredis");

const BIN = process.env.REDRAFT_BIN || path.join(__dirname, "..", "..", "target", "debug", "redraft");
const TARGETS = (process.env.REDRAFT_APPS_TARGETS || "redraft").split(",").map((s) => s.trim()).filter(Boolean);

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

async function waitReady(p, child) {
  for (let i = 0; i < 500; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    const ok = await new Promise((resolve) => {
      const c = net.connect(p, "127.0.0.1", () => { c.end(); resolve(true); });
      c.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("server did not start");
}

function startServer(target, port, dir) {
  if (target === "redraft") {
    return spawn(BIN, ["--port", String(port), "--dir", path.join(dir, "data"), "--save", ""], { stdio: "ignore" });
  }
  if (target === "redis") {
    return spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "",
      "--appendonly", "no"], { stdio: "ignore" });
  }
  throw new Error(`unknown target ${target}`);
}

function statusJson(channel, seq, size) {
  // A rendered status as PushUpdateWorker publishes it: {"event":"update","payload":"<json>"}.
  const status = { id: String(110000000000000000n + BigInt(seq)), content: "x".repeat(size), channel, seq };
  return JSON.stringify({ event: "update", payload: JSON.stringify(status), queued_at: 1732243451000 + seq });
}

for (const target of TARGETS) {
  describe(`mastodon streaming against ${target}`, () => {
    let server, port, dir;
    const conns = [];
    const connect = (opts = {}) => {
      const c = new Redis({ port, host: "127.0.0.1", lazyConnect: false, ...opts });
      conns.push(c);
      return c;
    };

    before(async () => {
      port = await freePort();
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "redraft-mastodon-"));
      server = startServer(target, port, dir);
      await waitReady(port, server);
    });

    after(() => {
      for (const c of conns) c.disconnect();
      server.kill("SIGTERM");
      fs.rmSync(dir, { recursive: true, force: true });
    });

    test("2000 timeline channels on one connection, presence keys, concurrent publishers, nothing lost", async () => {
      const N = 2000;
      const PER_CHANNEL = 4;
      const sub = connect();
      const cmd = connect(); // the streaming server's command connection
      const publishers = [connect(), connect(), connect(), connect()]; // Rails/Sidekiq processes
      await Promise.all([sub, cmd, ...publishers].map((c) => c.ping()));

      const channels = [];
      for (let i = 0; i < N; i++) {
        // user, notifications, list, hashtag and public streams, as the streaming server names them
        const kind = i % 5;
        channels.push(kind === 0 ? `timeline:${100 + i}` : kind === 1 ? `timeline:${100 + i}:notifications`
          : kind === 2 ? `timeline:list:${i}` : kind === 3 ? `timeline:hashtag:tag${i}` : `timeline:hashtag:tag${i}:local`);
      }

      const got = new Map(channels.map((c) => [c, []]));
      let total = 0;
      let resolveAll;
      const allIn = new Promise((r) => { resolveAll = r; });
      sub.on("message", (channel, message) => {
        const list = got.get(channel);
        assert.ok(list, `message on an unexpected channel ${channel}`);
        list.push(message);
        if (++total === N * PER_CHANNEL) resolveAll();
      });

      // Subscribe one channel at a time as listeners arrive (many SUBSCRIBE commands in flight),
      // each followed by the presence key, as subscriptionHeartbeat does.
      await Promise.all(channels.map(async (ch) => {
        await sub.subscribe(ch);
        assert.strictEqual(await cmd.set(`subscribed:${ch}`, "1", "EX", 1080), "OK");
      }));
      assert.strictEqual((await cmd.pubsub("NUMSUB", channels[0], channels[N - 1])).join(), `${channels[0]},1,${channels[N - 1]},1`);
      assert.strictEqual(Number(await cmd.pubsub("NUMPAT")), 0);
      const listed = await cmd.pubsub("CHANNELS", "timeline:*");
      assert.strictEqual(listed.length, N);

      // Publishers: each owns a quarter of the channels; for every event the Rails side checks
      // the presence key, then publishes. All four run at the same time, pipelined by ioredis,
      // while the streaming side's heartbeat refreshes every presence key.
      const sent = new Map(channels.map((c) => [c, []]));
      const publishAll = publishers.map(async (p, pi) => {
        const mine = channels.filter((_, i) => i % publishers.length === pi);
        const pending = [];
        for (let seq = 0; seq < PER_CHANNEL; seq++) {
          for (const ch of mine) {
            const msg = statusJson(ch, seq, seq === 0 ? 3000 : 200);
            sent.get(ch).push(msg);
            pending.push(p.exists(`subscribed:${ch}`).then((n) => {
              assert.strictEqual(n, 1);
            }));
            pending.push(p.publish(ch, msg).then((receivers) => assert.strictEqual(receivers, 1, ch)));
          }
        }
        await Promise.all(pending);
      });
      const heartbeat = (async () => {
        const pl = cmd.pipeline();
        for (const ch of channels) pl.set(`subscribed:${ch}`, "1", "EX", 1080);
        const res = await pl.exec();
        assert.ok(res.every(([err, ok]) => !err && ok === "OK"));
      })();
      await Promise.all([...publishAll, heartbeat]);

      const timeout = setTimeout(() => resolveAll(), 30000);
      await allIn;
      clearTimeout(timeout);
      assert.strictEqual(total, N * PER_CHANNEL, "every published message arrived");
      for (const ch of channels) assert.deepStrictEqual(got.get(ch), sent.get(ch), `messages of ${ch} in publish order`);
      const first = JSON.parse(JSON.parse(got.get(channels[0])[0]).payload);
      assert.strictEqual(first.content.length, 3000);

      // Presence keys: all there, TTL just refreshed to 1080 s.
      const ttls = await cmd.pipeline(channels.slice(0, 50).map((ch) => ["ttl", `subscribed:${ch}`])).exec();
      assert.ok(ttls.every(([, t]) => t > 1070 && t <= 1080), JSON.stringify(ttls.slice(0, 3)));
      assert.strictEqual(await cmd.exists(...channels.slice(0, 200).map((ch) => `subscribed:${ch}`)), 200);

      // The last listener of a channel leaves: UNSUBSCRIBE; publishers now reach nobody there.
      const leaving = channels.slice(0, 10);
      await sub.unsubscribe(...leaving);
      for (const ch of leaving) assert.strictEqual(await publishers[0].publish(ch, "gone"), 0);
      assert.strictEqual(await publishers[1].publish(channels[10], "still here"), 1);
      assert.strictEqual((await cmd.pubsub("CHANNELS", "timeline:*")).length, N - 10);
      await new Promise((r) => setTimeout(r, 50));
      assert.strictEqual(got.get(channels[10]).at(-1), "still here");
      assert.strictEqual(got.get(channels[0]).length, PER_CHANNEL, "nothing after UNSUBSCRIBE");

      // The subscriber connection still answers PING in subscribed mode (ioredis keepalive).
      assert.deepStrictEqual(await sub.ping(), ["pong", ""]); // RESP2 subscribed-mode PING
    });

    test("subscriber reconnect: ioredis resubscribes every channel and delivery resumes", async () => {
      const sub = connect();
      const cmd = connect();
      const channels = Array.from({ length: 300 }, (_, i) => `timeline:access_token:${i}`);
      const id = await sub.client("ID");
      await sub.subscribe(...channels);
      const got = [];
      sub.on("message", (ch, m) => got.push([ch, m]));
      // Drop the subscriber's connection from the server side, as a restart or CLIENT KILL would.
      const ready = new Promise((r) => sub.once("ready", r));
      assert.strictEqual(await cmd.client("KILL", "ID", String(id)), 1);
      await ready;
      for (let i = 0; i < 100; i++) {
        if ((await cmd.pubsub("NUMSUB", channels[299]))[1] === 1) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.strictEqual((await cmd.pubsub("CHANNELS", "timeline:access_token:*")).length, 300);
      for (const ch of channels) assert.strictEqual(await cmd.publish(ch, `after:${ch}`), 1);
      for (let i = 0; i < 200 && got.length < 300; i++) await new Promise((r) => setTimeout(r, 10));
      assert.deepStrictEqual(got, channels.map((ch) => [ch, `after:${ch}`]));
    });
  });
}
