// ioredis as Mastodon's streaming server uses it: one connection subscribed to thousands
// of timeline channels, another publishing; plus pipelines, MULTI and BRPOP from ioredis.
// Starts the real redraft binary on a free 127.0.0.1 port and always stops it.
const { test, before, after } = require("node:test");
const assert = require("node:assert");
const { spawn } = require("node:child_process");
const net = require("node:net");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const Redis = require("ioredis");

const BIN = process.env.REDRAFT_BIN || path.join(__dirname, "..", "..", "target", "debug", "redraft");
let server, port, dir;

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

async function waitReady(p) {
  for (let i = 0; i < 500; i++) {
    const ok = await new Promise((resolve) => {
      const c = net.connect(p, "127.0.0.1", () => { c.end(); resolve(true); });
      c.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("redraft did not start");
}

before(async () => {
  port = await freePort();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "redraft-node-"));
  server = spawn(BIN, ["--port", String(port), "--dir", path.join(dir, "data"), "--save", ""], { stdio: "ignore" });
  await waitReady(port);
});

after(() => {
  server.kill("SIGTERM");
  fs.rmSync(dir, { recursive: true, force: true });
});

test("one subscriber on 2000 timeline channels receives every message in order", async () => {
  const sub = new Redis({ port, host: "127.0.0.1" });
  const pub = new Redis({ port, host: "127.0.0.1" });
  const channels = [];
  for (let i = 0; i < 2000; i++) channels.push(`timeline:${i}`);
  const count = await sub.subscribe(...channels);
  assert.strictEqual(count, 2000);
  await sub.psubscribe("timeline:hashtag:*");
  const got = [];
  const done = new Promise((resolve) => {
    sub.on("message", (ch, msg) => { got.push([ch, msg]); if (got.length === 201) resolve(); });
    sub.on("pmessage", (pat, ch, msg) => { got.push([ch, msg]); if (got.length === 201) resolve(); });
  });
  for (let i = 0; i < 200; i++) {
    assert.strictEqual(await pub.publish(`timeline:${i * 10}`, JSON.stringify({ event: "update", i })), 1);
  }
  assert.strictEqual(await pub.publish("timeline:hashtag:rust", "tagged"), 1);
  await done;
  assert.deepStrictEqual(got[0], ["timeline:0", JSON.stringify({ event: "update", i: 0 })]);
  assert.deepStrictEqual(got[199][0], "timeline:1990");
  assert.deepStrictEqual(got[200], ["timeline:hashtag:rust", "tagged"]);
  assert.strictEqual((await pub.pubsub("NUMSUB", "timeline:5"))[1], 1);
  await sub.unsubscribe("timeline:5");
  assert.strictEqual((await pub.pubsub("NUMSUB", "timeline:5"))[1], 0);
  sub.disconnect();
  pub.disconnect();
});

test("pipelines, MULTI and BRPOP through ioredis", async () => {
  const r = new Redis({ port, host: "127.0.0.1" });
  const w = new Redis({ port, host: "127.0.0.1" });
  const res = await r.pipeline().set("a", "1").incr("a").zadd("feed:home:1", "110123456789012345", "110123456789012345").zrevrange("feed:home:1", 0, 0, "WITHSCORES").exec();
  assert.deepStrictEqual(res.map((x) => x[1]), ["OK", 2, 1, ["110123456789012345", "110123456789012352"]]);
  const tx = await r.multi().lpush("queue:default", "job1").llen("queue:default").exec();
  assert.deepStrictEqual(tx.map((x) => x[1]), [1, 1]);
  const waiting = w.brpop("queue:push", "queue:default", 2);
  assert.deepStrictEqual(await waiting, ["queue:default", "job1"]);
  const blocked = w.brpop("queue:empty", 0);
  setTimeout(() => r.lpush("queue:empty", "late"), 100);
  assert.deepStrictEqual(await blocked, ["queue:empty", "late"]);
  r.disconnect();
  w.disconnect();
});
