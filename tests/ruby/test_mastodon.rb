# Mastodon's Rails side with redis-rb (Debian's ruby-redis 4.8, the 4.8.x Mastodon <= 4.5 uses):
# the feed manager's home-feed sequences and the lock/circuit-breaker/unique-jobs scripts,
# replayed command for command.
#
# Runs against the real redraft binary on a free 127.0.0.1 port (always stopped);
# REDRAFT_APPS_TARGETS=redis (or redraft,redis) runs the same tests against redis-server,
# which is how the expected values below were checked.
#
# Lua bodies are written for these tests; each sends the same commands, with the same KEYS/ARGV
# shapes and the same Lua features, as the script named next to it (cited, not copied).
require "minitest/autorun"
require "redis"
require "digest/sha1"
require "json"
require "socket"
require "tmpdir"
require "fileutils"

Redis.silence_deprecations = true if Redis.respond_to?(:silence_deprecations=)

BIN = ENV["REDRAFT_BIN"] || File.expand_path("../../target/debug/redraft", __dir__)
TARGETS = (ENV["REDRAFT_APPS_TARGETS"] || "redraft").split(",").map(&:strip).reject(&:empty?)

module MastodonServers
  def self.start(target)
    port = TCPServer.open("127.0.0.1", 0) { |s| s.addr[1] }
    dir = Dir.mktmpdir("redraft-mastodon-")
    argv = case target
           when "redraft" then [BIN, "--port", port.to_s, "--dir", File.join(dir, "data"), "--save", ""]
           when "redis" then ["redis-server", "--port", port.to_s, "--bind", "127.0.0.1", "--dir", dir, "--save", "",
                              "--appendonly", "no"]
           else raise "unknown target #{target}"
           end
    pid = spawn(*argv, out: File.join(dir, "log"), err: [:child, :out])
    Minitest.after_run do
      Process.kill("TERM", pid) rescue nil
      Process.wait(pid) rescue nil
      FileUtils.rm_rf(dir)
    end
    deadline = Time.now + 10
    begin
      TCPSocket.new("127.0.0.1", port).close
    rescue Errno::ECONNREFUSED
      raise "#{target} did not start" if Time.now > deadline
      sleep 0.02
      retry
    end
    port
  end
end

# Snowflake ids as Mastodon makes them: (milliseconds << 16) | sequence, ~1.1e17 > 2^53, so two
# ids can share one double score; Redis then orders them by member bytes.
def snowflake(ms, seq = 0)
  (ms << 16) | seq
end

# The home feed logic of Mastodon's FeedManager (app/lib/feed_manager.rb: add_to_feed, trim;
# app/models/feed.rb: from_redis), issuing the same redis-rb calls.
class FeedReplay
  MAX_ITEMS = 800
  REBLOG_FALLOFF = 40

  def initialize(redis, account_id)
    @r = redis
    @key = "feed:home:#{account_id}"
  end

  attr_reader :key

  def reblog_key
    "#{@key}:reblogs"
  end

  # status: {id:, reblog_of_id: nil}
  def add(status)
    if status[:reblog_of_id]
      rank = @r.zrevrank(@key, status[:reblog_of_id])
      return false if !rank.nil? && rank < REBLOG_FALLOFF

      if @r.zadd(reblog_key, status[:id], status[:reblog_of_id], nx: true)
        @r.zadd(@key, status[:id], status[:id])
      else
        @r.sadd("#{reblog_key}:#{status[:reblog_of_id]}", status[:id])
        return false
      end
    else
      return false unless @r.zscore(reblog_key, status[:id]).nil?

      @r.zadd(@key, status[:id], status[:id])
    end
    true
  end

  def trim
    @r.zremrangebyrank(@key, 0, -(MAX_ITEMS + 1))
    falloff = @r.zrevrange(@key, REBLOG_FALLOFF, REBLOG_FALLOFF, with_scores: true)
    falloff_score = falloff&.first&.last&.to_i
    return if falloff_score.nil?

    @r.zrangebyscore(reblog_key, 0, falloff_score).each do |reblogged_id|
      @r.zrem(reblog_key, reblogged_id)
      @r.del("#{reblog_key}:#{reblogged_id}")
    end
  end

  def get(limit, max_id = nil, since_id = nil, min_id = nil)
    max_id = "+inf" if max_id.nil?
    if min_id.nil?
      since_id = "-inf" if since_id.nil?
      @r.zrevrangebyscore(@key, "(#{max_id}", "(#{since_id}", limit: [0, limit], with_scores: true).map { |m, _| m.to_i }
    else
      @r.zrangebyscore(@key, "(#{min_id}", "(#{max_id}", limit: [0, limit], with_scores: true).map { |m, _| m.to_i }
    end
  end
end

# mario-redis-lock release (marioizquierdo/mario-redis-lock lib/redis_lock.rb): EVAL of the same
# body on every release; DEL if the token still owns the key, else nil.
LOCK_RELEASE = <<~LUA
  local owner = redis.call("get", KEYS[1])
  if owner == ARGV[1] then return redis.call("del", KEYS[1]) end
  return nil
LUA

# redlock 1.3.2 (leandromoreira/redlock-rb lib/redlock/scripts.rb): lock / unlock / pttl, called with
# EVALSHA of a SHA-1 computed locally from heredoc bodies (leading spaces and newline included).
REDLOCK_LOCK = <<-LUA
      if (redis.call("exists", KEYS[1]) == 0 and ARGV[3] == "yes") or redis.call("get", KEYS[1]) == ARGV[1] then
        return redis.call("set", KEYS[1], ARGV[1], "PX", ARGV[2])
      end
LUA
REDLOCK_UNLOCK = <<-LUA
      local current = redis.call("get", KEYS[1])
      if current == ARGV[1] then return redis.call("del", KEYS[1]) end
      return 0
LUA
REDLOCK_PTTL = <<-LUA
      local value = redis.call("get", KEYS[1])
      local ttl = redis.call("pttl", KEYS[1])
      return { value, ttl }
LUA

# Stoplight 5 (bolshakov/stoplight lib/stoplight/data_store/redis/*.lua): record_failure,
# record_success and get_metadata over a metadata hash and hourly metric buckets.
STOPLIGHT_RECORD_FAILURE = <<~LUA
  local ts, id, json = tonumber(ARGV[1]), ARGV[2], ARGV[3]
  local bucket_ttl, meta_ttl = tonumber(ARGV[4]), tonumber(ARGV[5])
  local meta, bucket = KEYS[1], KEYS[2]
  if bucket ~= nil then
    redis.call("ZADD", bucket, ts, id)
    redis.call("EXPIRE", bucket, bucket_ttl, "NX")
  end
  local prev = redis.call("HMGET", meta, "last_failure_at", "consecutive_failures")
  local prev_ts, prev_count = tonumber(prev[1]), tonumber(prev[2])
  if not prev_ts or ts > prev_ts then
    redis.call("HSET", meta, "last_failure_at", ts, "last_failure_json", json,
      "consecutive_failures", (prev_count or 0) + 1, "consecutive_successes", 0)
  else
    redis.call("HSET", meta, "consecutive_failures", (prev_count or 0) + 1, "consecutive_successes", 0)
  end
  redis.call("EXPIRE", meta, meta_ttl, "GT")
LUA
STOPLIGHT_RECORD_SUCCESS = <<~LUA
  local ts, id = tonumber(ARGV[1]), ARGV[2]
  local bucket_ttl, meta_ttl = tonumber(ARGV[3]), tonumber(ARGV[4])
  local meta, bucket = KEYS[1], KEYS[2]
  if bucket ~= nil then
    redis.call("ZADD", bucket, ts, id)
    redis.call("EXPIRE", bucket, bucket_ttl, "NX")
  end
  local prev = redis.call("HMGET", meta, "last_success_at", "consecutive_successes")
  local prev_ts, prev_count = tonumber(prev[1]), tonumber(prev[2])
  if not prev_ts or ts > prev_ts then
    redis.call("HSET", meta, "last_success_at", ts, "consecutive_successes", (prev_count or 0) + 1,
      "consecutive_failures", 0)
  else
    redis.call("HSET", meta, "consecutive_successes", (prev_count or 0) + 1, "consecutive_failures", 0)
  end
  redis.call("EXPIRE", meta, meta_ttl, "GT")
LUA
STOPLIGHT_GET_METADATA = <<~LUA
  local buckets, recovery_buckets = tonumber(ARGV[1]), tonumber(ARGV[2])
  local from, to, recovery_from = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
  local meta = KEYS[1]
  local recovered_at = redis.call("HGET", meta, "recovered_at")
  if recovered_at then from = math.max(from, recovered_at) end
  local function count(first, n, since)
    local sum = 0
    for i = first, first + n - 1 do
      sum = sum + tonumber(redis.call("ZCOUNT", KEYS[i], since, to))
    end
    return sum
  end
  local at = 2
  local successes = count(at, buckets, from)
  at = at + buckets
  local failures = count(at, buckets, from)
  at = at + buckets
  local probe_ok = count(at, recovery_buckets, recovery_from)
  at = at + recovery_buckets
  local probe_failed = count(at, recovery_buckets, recovery_from)
  return { successes, failures, probe_ok, probe_failed, redis.call("HGETALL", meta) }
LUA
STOPLIGHT_TRANSITION_TO_RED = <<~LUA
  local meta, now, id = KEYS[1], ARGV[1], ARGV[2]
  local became = redis.call("HSETNX", meta, "locked_state", "red")
  redis.call("HSET", meta, "recovery_scheduled_after", now, "breached_at", now)
  redis.call("HDEL", meta, "recovery_started_at")
  return became
LUA

# sidekiq-unique-jobs (mhenrixon/sidekiq-unique-jobs lib/sidekiq_unique_jobs/lua/*.lua): every
# script logs to the changelog (cjson.encode, ZADD, ZCARD, ZREMRANGEBYRANK, PUBLISH from Lua) and
# parses redis_version with string.find; queue/lock/unlock move the job id between the digest's
# QUEUED list, LOCKED hash and the digests set; find_digest walks `queue:<name>` keys that are not
# in KEYS, decoding job payloads with cjson.decode.
UJ_COMMON = <<~LUA
  local function toversion(v)
    local _, _, maj, min, pat = string.find(v, "(%d+)%.(%d+)%.(%d+)")
    return { version = v, major = tonumber(maj), minor = tonumber(min), patch = tonumber(pat) }
  end
  local function log(message, prev_jid)
    if not max_history or max_history == 0 then return end
    local entry = cjson.encode({ digest = digest, job_id = job_id, script = script_name,
      message = message, time = current_time, prev_jid = prev_jid })
    redis.call("ZADD", changelog, current_time, entry)
    redis.call("ZCARD", changelog)
    redis.call("ZREMRANGEBYRANK", changelog, 0, -1 * max_history)
    redis.call("PUBLISH", changelog, entry)
  end
LUA
UJ_HEAD = <<~LUA
  local digest, queued, primed, locked = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
  local info, changelog, digests = KEYS[5], KEYS[6], KEYS[7]
  local job_id, pttl, lock_type, limit = ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
  local current_time, max_history = tonumber(ARGV[5]), tonumber(ARGV[6])
  local redis_version = ARGV[7]
LUA
UJ_QUEUE = UJ_HEAD + <<~LUA + UJ_COMMON + <<~LUA2
  local script_name = "queue.lua"
LUA
  if redis.call("HEXISTS", locked, job_id) == 1 then
    log("Duplicate")
    return job_id
  end
  local queued_count = redis.call("LLEN", queued)
  local locked_count = redis.call("HLEN", locked)
  local prev_jid = redis.call("GET", digest)
  if not prev_jid then
    redis.call("SET", digest, job_id)
  elseif prev_jid == job_id then
    log("Duplicate")
    return job_id
  elseif limit > locked_count and queued_count < limit then
    redis.call("SET", digest, job_id)
  else
    log("Limit exceeded", prev_jid)
    return prev_jid
  end
  redis.call("LPUSH", queued, job_id)
  if lock_type == "until_expired" and pttl > 0 then
    redis.call("PEXPIRE", digest, pttl)
    redis.call("PEXPIRE", queued, pttl)
  end
  log("Queued")
  return job_id
LUA2
UJ_LOCK = UJ_HEAD + <<~LUA + UJ_COMMON + <<~LUA2
  local script_name = "lock.lua"
LUA
  if redis.call("HEXISTS", locked, job_id) == 1 then
    log("Duplicate")
    return job_id
  end
  local locked_count = redis.call("HLEN", locked)
  if limit <= locked_count then
    log("Limit exceeded")
    return nil
  end
  redis.call("ZADD", digests, current_time, digest)
  redis.call("HSET", locked, job_id, current_time)
  redis.call("LREM", queued, -1, job_id)
  redis.call("LREM", primed, 1, job_id)
  if pttl and pttl > 0 then
    redis.call("PEXPIRE", digest, pttl)
    redis.call("PEXPIRE", locked, pttl)
    redis.call("PEXPIRE", info, pttl)
  end
  log("Locked")
  return job_id
LUA2
UJ_UNLOCK = UJ_HEAD + <<~LUA + UJ_COMMON + <<~LUA2
  local script_name = "unlock.lua"
LUA
  local locked_count = redis.call("HLEN", locked)
  if redis.call("HEXISTS", locked, job_id) == 0 and locked_count > 0 then
    log("Yielding to: " .. table.concat(redis.call("HKEYS", locked), ","))
    return nil
  end
  redis.call("LREM", queued, -1, job_id)
  redis.call("LREM", primed, -1, job_id)
  local version = toversion(redis_version)
  if version.major >= 4 then
    redis.call("UNLINK", digest, info)
  else
    redis.call("DEL", digest, info)
  end
  redis.call("HDEL", locked, job_id)
  if redis.call("HLEN", locked) == 0 then
    redis.call("UNLINK", locked)
    redis.call("ZREM", digests, digest)
  end
  redis.call("LPUSH", queued, "1")
  redis.call("PEXPIRE", queued, 5000)
  log("Unlocked")
  return job_id
LUA2
UJ_FIND_DIGEST = <<~LUA
  local digest = KEYS[1]
  local cursor, found = "0", nil
  repeat
    local page = redis.call("SSCAN", "queues", cursor, "COUNT", 100)
    cursor = page[1]
    for _, name in ipairs(page[2]) do
      local jobs = redis.call("LRANGE", "queue:" .. name, 0, -1)
      for _, payload in ipairs(jobs) do
        local job = cjson.decode(payload)
        if job.lock_digest == digest then found = payload end
      end
    end
  until cursor == "0" or found
  return found
LUA

module MastodonScenarios
  def setup
    @r = Redis.new(host: "127.0.0.1", port: self.class::PORT)
    @r.flushall
    @r.script(:flush) rescue Redis::CommandError
  end

  def teardown
    @r.close
  end

  # --- FeedManager ---------------------------------------------------------------------------

  def test_feed_push_trim_and_paging_with_snowflake_ids
    feed = FeedReplay.new(@r, 1)
    rng = Random.new(4)
    ms = 1_732_243_451_000
    ids = []
    900.times do
      ms += rng.rand(0..3) # 0: same millisecond, next sequence number
      id = snowflake(ms, ids.count { |x| x >> 16 == ms })
      ids << id
      assert feed.add(id: id)
      feed.trim
    end
    assert_operator ids.last, :>, 2**53
    assert_equal 800, @r.zcard(feed.key)

    # Members keep the exact ids; scores are their doubles; equal doubles order by member bytes.
    expected = ids.last(800).map(&:to_s).sort_by { |m| [Float(m), m] }.reverse
    got = @r.zrevrange(feed.key, 0, -1, with_scores: true)
    assert_equal expected, got.map(&:first)
    got.each { |m, s| assert_equal Float(m), s }
    assert(expected.each_cons(2).any? { |a, b| Float(a) == Float(b) }, "some ids share a double score")
    top = ids.max
    assert_equal [[top.to_s, top.to_f]], @r.zrevrange(feed.key, 0, 0, with_scores: true)
    assert_equal 0, @r.zrevrank(feed.key, expected.first)
    assert_nil @r.zrevrank(feed.key, ids.first.to_s) # trimmed away

    # Timeline reads: ZREVRANGEBYSCORE (max (since WITHSCORES LIMIT 0 n, paging on max_id.
    model = lambda do |limit, max_id, since_id|
      hi = max_id ? Float(max_id.to_s) : Float::INFINITY
      lo = since_id ? Float(since_id.to_s) : -Float::INFINITY
      expected.select { |m| Float(m) < hi && Float(m) > lo }.first(limit).map(&:to_i)
    end
    assert_equal expected.first(20).map(&:to_i), feed.get(20)
    max_id = nil
    pages = 0
    loop do
      page = feed.get(20, max_id)
      assert_equal model.call(20, max_id, nil), page
      break if page.empty?

      max_id = page.last
      pages += 1
    end
    assert_operator pages, :>=, 40
    since = expected[100].to_i
    assert_equal model.call(40, nil, since), feed.get(40, nil, since)
    assert_equal model.call(40, expected[10].to_i, since), feed.get(40, expected[10].to_i, since)
    # min_id: ZRANGEBYSCORE (min (max LIMIT, oldest first.
    min_id = expected[30].to_i
    want = expected.reverse.select { |m| Float(m) > Float(min_id.to_s) }.first(10).map(&:to_i)
    assert_equal want, feed.get(10, nil, nil, min_id)
    assert_equal [], feed.get(10, expected[799].to_i, expected[0].to_i)
  end

  def test_feed_reblog_aggregation
    feed = FeedReplay.new(@r, 2)
    ms = 1_732_243_500_000
    id = ->(n) { snowflake(ms + n) }
    assert feed.add(id: id[1])                               # original status A
    5.times { |i| assert feed.add(id: id[10 + i]) }
    refute feed.add(id: id[20], reblog_of_id: id[1])        # A is in the top 40: reblog not inserted
    assert feed.add(id: id[21], reblog_of_id: id[2])        # B not in the feed: ZADD reblogs NX -> true
    assert_equal id[21].to_f, @r.zscore(feed.reblog_key, id[2])
    refute feed.add(id: id[22], reblog_of_id: id[2])        # second reblog of B: NX -> false, tracked in a set
    assert_equal [id[22].to_s], @r.smembers("#{feed.reblog_key}:#{id[2]}")
    refute feed.add(id: id[2])                              # B itself arrives late: already reblogged
    assert_equal 7, @r.zcard(feed.key)
    assert_equal 5, @r.zrevrank(feed.key, id[10])

    # Push 50 newer statuses: B's reblog falls past REBLOG_FALLOFF and trim stops tracking it.
    50.times { |i| feed.add(id: id[100 + i]); feed.trim }
    assert_equal 0, @r.zcard(feed.reblog_key)
    assert_equal false, @r.exists?("#{feed.reblog_key}:#{id[2]}")
    assert feed.add(id: id[200], reblog_of_id: id[2])       # B can be reblogged into the feed again

    # HomeFeed catches WRONGTYPE from HGET on an old string key, then checks TYPE and DELs it.
    @r.set("account:2:regeneration", "1")
    err = assert_raises(Redis::CommandError) { @r.hget("account:2:regeneration", "status") }
    assert_equal "WRONGTYPE Operation against a key holding the wrong kind of value", err.message
    assert_equal "string", @r.type("account:2:regeneration")
    assert_equal 1, @r.del("account:2:regeneration")
  end

  # --- locks ---------------------------------------------------------------------------------

  def with_redis_lock(redis, name, token)
    key = "lock:#{name}"
    deadline = Time.now + 10
    until redis.set(key, token, nx: true, px: 900_000)     # Lockable: autorelease 15 minutes
      raise "lock #{name} not acquired" if Time.now > deadline

      sleep 0.005
    end
    yield
  ensure
    redis.eval(LOCK_RELEASE, keys: [key], argv: [token]) if key
  end

  def test_mario_redis_lock_acquire_and_release
    assert_equal true, @r.set("lock:distribute:1", "me", nx: true, px: 900_000)
    assert_equal false, @r.set("lock:distribute:1", "other", nx: true, px: 900_000)
    assert_operator @r.pttl("lock:distribute:1"), :>, 899_000
    assert_nil @r.eval(LOCK_RELEASE, keys: ["lock:distribute:1"], argv: ["other"]) # not the owner
    assert_equal "me", @r.get("lock:distribute:1")
    assert_equal 1, @r.eval(LOCK_RELEASE, keys: ["lock:distribute:1"], argv: ["me"])
    assert_nil @r.eval(LOCK_RELEASE, keys: ["lock:distribute:1"], argv: ["me"])    # already released
    # EVAL caches the body: the same SHA-1 is known afterwards.
    assert_equal true, @r.script(:exists, Digest::SHA1.hexdigest(LOCK_RELEASE))

    # Five processes contending for one lock; a read-modify-write inside stays exact.
    threads = 5.times.map do |t|
      Thread.new do
        c = Redis.new(host: "127.0.0.1", port: self.class::PORT)
        40.times do |i|
          with_redis_lock(c, "create:https://example.org/1", "#{t}-#{i}") do
            v = c.get("counter").to_i
            c.set("counter", v + 1)
          end
        end
        c.close
      end
    end
    threads.each(&:join)
    assert_equal "200", @r.get("counter")
    assert_equal false, @r.exists?("lock:create:https://example.org/1")
  end

  def redlock_call(sha_by_body, body, keys, argv)
    @r.evalsha(sha_by_body.fetch(body), keys: keys, argv: argv)
  rescue Redis::CommandError => e
    raise unless e.message.start_with?("NOSCRIPT")

    @calls_recovered = (@calls_recovered || 0) + 1
    # recover_from_script_flush: load all three, then retry once.
    [REDLOCK_LOCK, REDLOCK_UNLOCK, REDLOCK_PTTL].each do |b|
      assert_equal sha_by_body.fetch(b), @r.script(:load, b)
    end
    @r.evalsha(sha_by_body.fetch(body), keys: keys, argv: argv)
  end

  def test_redlock_scripts_by_precomputed_sha
    shas = [REDLOCK_LOCK, REDLOCK_UNLOCK, REDLOCK_PTTL].to_h { |b| [b, Digest::SHA1.hexdigest(b)] }
    assert_equal [false, false, false], @r.script(:exists, shas.values)
    err = assert_raises(Redis::CommandError) { @r.evalsha(shas[REDLOCK_LOCK], keys: ["x"], argv: ["v", "1000", "yes"]) }
    assert_equal "NOSCRIPT No matching script. Please use EVAL.", err.message

    key = "stoplight:v4:notification_lock:https://example.org"
    assert_equal "OK", redlock_call(shas, REDLOCK_LOCK, [key], ["token-a", "2000", "yes"])
    assert_equal 1, @calls_recovered
    assert_equal [true, true, true], @r.script(:exists, shas.values)
    assert_nil redlock_call(shas, REDLOCK_LOCK, [key], ["token-b", "2000", "yes"])     # held by a
    assert_equal "OK", redlock_call(shas, REDLOCK_LOCK, [key], ["token-a", "5000", "no"]) # extend own lock
    value, ttl = redlock_call(shas, REDLOCK_PTTL, [key], [])
    assert_equal "token-a", value
    assert_includes 4000..5000, ttl
    assert_equal 0, redlock_call(shas, REDLOCK_UNLOCK, [key], ["token-b"])
    assert_equal 1, redlock_call(shas, REDLOCK_UNLOCK, [key], ["token-a"])
    assert_equal [nil, -2], redlock_call(shas, REDLOCK_PTTL, [key], [])                # false -> nil in the array
    assert_nil redlock_call(shas, REDLOCK_LOCK, [key], ["token-b", "2000", "no"])      # allow_new no
    assert_equal 1, @calls_recovered

    @r.script(:flush)                                                                  # a restart / failover
    assert_equal "OK", redlock_call(shas, REDLOCK_LOCK, [key], ["token-c", "100", "yes"])
    assert_equal 2, @calls_recovered
    sleep 0.2
    assert_equal [nil, -2], redlock_call(shas, REDLOCK_PTTL, [key], [])                # PX expired
  end

  # --- Stoplight 5 ---------------------------------------------------------------------------

  def stoplight(body, keys, argv)
    sha = Digest::SHA1.hexdigest(body)
    begin
      @r.evalsha(sha, keys: keys, argv: argv)
    rescue Redis::CommandError => e
      raise unless e.message.start_with?("NOSCRIPT")

      assert_equal sha, @r.script(:load, body)
      @r.evalsha(sha, keys: keys, argv: argv)
    end
  end

  def test_stoplight5_circuit_breaker_scripts
    light = "https://example.org"
    meta = "stoplight:v5:metadata:#{light}"
    hour = 1_732_240_800
    bucket = ->(kind, h) { "stoplight:v5:metrics:#{light}:#{kind}:#{h}" }
    t0 = 1_732_243_451

    3.times do |i|
      assert_nil stoplight(STOPLIGHT_RECORD_FAILURE, [meta, bucket["failures", hour]],
                           [t0 + i, "f#{i}", %({"error":{"class":"Timeout","message":"#{i}"},"time":#{t0 + i}}), "86400", "604800"])
    end
    # An older failure arriving late only bumps the counter.
    assert_nil stoplight(STOPLIGHT_RECORD_FAILURE, [meta, bucket["failures", hour]], [t0 - 100, "late", "{}", "86400", "604800"])
    assert_nil stoplight(STOPLIGHT_RECORD_SUCCESS, [meta, bucket["successes", hour]], [t0 + 10, "s0", "86400", "604800"])
    assert_nil stoplight(STOPLIGHT_RECORD_SUCCESS, [meta, bucket["successes", hour - 3600]], [t0 - 3600, "s1", "86400", "604800"])
    assert_equal 4, @r.zcard(bucket["failures", hour])
    assert_includes 86_390..86_400, @r.ttl(bucket["failures", hour])
    assert_equal(-1, @r.ttl(meta)) # EXPIRE ... GT never sets a TTL on a key without one

    h = @r.hgetall(meta)
    assert_equal({ "last_failure_at" => (t0 + 2).to_s, "consecutive_failures" => "0", "consecutive_successes" => "2",
                   "last_failure_json" => %({"error":{"class":"Timeout","message":"2"},"time":#{t0 + 2}}),
                   "last_success_at" => (t0 + 10).to_s }, h)

    assert_equal 1, stoplight(STOPLIGHT_TRANSITION_TO_RED, [meta], [t0 + 11, "n1"])
    assert_equal 0, stoplight(STOPLIGHT_TRANSITION_TO_RED, [meta], [t0 + 12, "n2"])

    keys = [meta, bucket["successes", hour], bucket["successes", hour - 3600],
            bucket["failures", hour], bucket["failures", hour - 3600],
            bucket["recovery_probe_successes", hour], bucket["recovery_probe_failures", hour]]
    s, f, ps, pf, flat = stoplight(STOPLIGHT_GET_METADATA, keys, ["2", "1", (t0 - 7200).to_s, (t0 + 60).to_s, (t0 - 60).to_s])
    assert_equal [2, 4, 0, 0], [s, f, ps, pf]
    assert_equal h.merge("locked_state" => "red", "recovery_scheduled_after" => (t0 + 12).to_s,
                         "breached_at" => (t0 + 12).to_s), Hash[*flat]
    # After a recovery, metrics older than recovered_at are not counted (math.max with a string).
    @r.hset(meta, "recovered_at", (t0 + 1).to_s)
    s, f, = stoplight(STOPLIGHT_GET_METADATA, keys, ["2", "1", (t0 - 7200).to_s, (t0 + 60).to_s, (t0 - 60).to_s])
    assert_equal [1, 2], [s, f]
  end

  # --- sidekiq-unique-jobs -------------------------------------------------------------------

  def uj(body, digest, jid, argv_extra = {})
    keys = [digest, "#{digest}:QUEUED", "#{digest}:PRIMED", "#{digest}:LOCKED", "#{digest}:INFO",
            "uniquejobs:changelog", "uniquejobs:digests"]
    version = @r.info("server")["redis_version"]
    argv = [jid, argv_extra.fetch(:pttl, 0), argv_extra.fetch(:type, "until_executed"), argv_extra.fetch(:limit, 1),
            argv_extra.fetch(:now, 1_732_243_451.5), 1000, version]
    sha = Digest::SHA1.hexdigest(body)
    attempts = 0
    begin
      @r.evalsha(sha, keys: keys, argv: argv)
    rescue Redis::CommandError => e
      raise unless e.message.start_with?("NOSCRIPT") && (attempts += 1) <= 3

      @r.script(:load, body)
      retry
    end
  end

  def test_unique_jobs_queue_lock_unlock_with_changelog
    received = Queue.new
    sub = Redis.new(host: "127.0.0.1", port: self.class::PORT)
    subscribed = Queue.new
    listener = Thread.new do
      sub.subscribe("uniquejobs:changelog") do |on|
        on.subscribe { subscribed << true }
        on.message do |_ch, msg|
          received << msg
          sub.unsubscribe if msg.include?('"message":"Unlocked"')
        end
      end
    end
    listener.report_on_exception = false
    subscribed.pop

    version = @r.info("server")["redis_version"]
    assert_match(/\A\d+\.\d+\.\d+\z/, version)
    d = "uniquejobs:0123abcd"
    assert_equal "jid1", uj(UJ_QUEUE, d, "jid1")                    # first: queued
    assert_equal "jid1", uj(UJ_QUEUE, d, "jid1")                    # same job again: duplicate
    assert_equal "jid1", uj(UJ_QUEUE, d, "jid2")                    # another job: limit exceeded, prev jid
    assert_equal ["jid1"], @r.lrange("#{d}:QUEUED", 0, -1)
    assert_equal "jid1", @r.get(d)
    assert_equal "jid1", uj(UJ_LOCK, d, "jid1", pttl: 60_000)
    assert_nil uj(UJ_LOCK, d, "jid2")                                # limit 1
    assert_equal [], @r.lrange("#{d}:QUEUED", 0, -1)
    assert_equal({ "jid1" => "1732243451.5" }, @r.hgetall("#{d}:LOCKED"))
    assert_includes 59_000..60_000, @r.pttl("#{d}:LOCKED")
    assert_equal [[d, 1_732_243_451.5]], @r.zrange("uniquejobs:digests", 0, -1, with_scores: true)
    assert_nil uj(UJ_UNLOCK, d, "jid9")                              # not the holder: yields
    assert_equal "jid1", uj(UJ_UNLOCK, d, "jid1")
    assert_equal [false, false], [@r.exists?(d), @r.exists?("#{d}:LOCKED")]
    assert_equal ["1"], @r.lrange("#{d}:QUEUED", 0, -1)
    assert_includes 4000..5000, @r.pttl("#{d}:QUEUED")
    assert_equal 0, @r.zcard("uniquejobs:digests")

    listener.join(5)
    msgs = []
    msgs << received.pop until received.empty?
    entries = msgs.map { |m| JSON.parse(m) }
    assert_equal %w[Queued Duplicate Limit\ exceeded Locked Limit\ exceeded Yielding\ to:\ jid1 Unlocked],
                 entries.map { |e| e["message"] }
    assert_equal %w[queue.lua queue.lua queue.lua lock.lua lock.lua unlock.lua unlock.lua], entries.map { |e| e["script"] }
    assert_equal({ "digest" => d, "job_id" => "jid2", "script" => "queue.lua", "message" => "Limit exceeded",
                   "time" => 1_732_243_451.5, "prev_jid" => "jid1" }, entries[2])
    refute entries[0].key?("prev_jid") # nil values leave the key out
    # The changelog zset holds the same entries (all at the same score, so in member order).
    assert_equal msgs.sort, @r.zrange("uniquejobs:changelog", 0, -1)
  ensure
    listener&.kill
    sub&.close
  end

  def test_unique_jobs_find_digest_in_queues_outside_keys
    @r.sadd("queues", %w[default push mailers])
    @r.lpush("queue:default", [{ "class" => "A", "jid" => "1", "lock_digest" => "uniquejobs:aaa" }.to_json,
                               { "class" => "B", "jid" => "2" }.to_json])
    target = { "class" => "C", "jid" => "3", "args" => [1, "x", nil, 2.5], "lock_digest" => "uniquejobs:ccc" }.to_json
    @r.lpush("queue:push", [target])
    sha = @r.script(:load, UJ_FIND_DIGEST)
    assert_equal target, @r.evalsha(sha, keys: ["uniquejobs:ccc"], argv: [])
    assert_nil @r.evalsha(sha, keys: ["uniquejobs:zzz"], argv: [])
  end

  def test_cjson_encode_bytes
    # The exact bytes of cjson.encode for a changelog-like entry, as Redis 7.0's Lua produces them.
    out = @r.eval(<<~LUA, keys: [], argv: [])
      return cjson.encode({ digest = "uniquejobs:d", job_id = "j1", script = "queue.lua",
        message = "Queued", time = 1732243451.5, prev_jid = nil })
    LUA
    assert_equal '{"message":"Queued","job_id":"j1","time":1732243451.5,"script":"queue.lua","digest":"uniquejobs:d"}', out
  end
end

TARGETS.each do |target|
  port = MastodonServers.start(target)
  klass = Class.new(Minitest::Test) { include MastodonScenarios }
  klass.const_set(:PORT, port)
  Object.const_set("MastodonOn#{target.capitalize}Test", klass)
end
