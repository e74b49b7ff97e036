# redis-rb (Debian's ruby-redis, as Mastodon's Rails side uses it) against the real
# redraft binary, started here on a free 127.0.0.1 port and always stopped.
require "minitest/autorun"
require "redis"
require "socket"
require "tmpdir"
require "fileutils"

BIN = ENV["REDRAFT_BIN"] || File.expand_path("../../target/debug/redraft", __dir__)

class RedisRbTest < Minitest::Test
  def self.start_server
    port = TCPServer.open("127.0.0.1", 0) { |s| s.addr[1] }
    dir = Dir.mktmpdir("redraft-rb-")
    pid = spawn(BIN, "--port", port.to_s, "--dir", File.join(dir, "data"), "--save", "",
                out: File.join(dir, "log"), err: [:child, :out])
    deadline = Time.now + 10
    begin
      TCPSocket.new("127.0.0.1", port).close
    rescue Errno::ECONNREFUSED
      raise "redraft did not start" if Time.now > deadline
      sleep 0.02
      retry
    end
    [pid, port, dir]
  end

  PID, PORT, DIR = start_server
  Minitest.after_run do
    Process.kill("TERM", PID)
    Process.wait(PID)
    FileUtils.rm_rf(DIR)
  end

  def setup
    @r = Redis.new(host: "127.0.0.1", port: PORT)
    @r.flushall
  end

  def teardown
    @r.close
  end

  def test_strings_and_counters
    assert_equal "OK", @r.set("greeting", "hello")
    assert_equal "hello", @r.get("greeting")
    assert_nil @r.get("missing")
    assert_equal 1, @r.incr("n")
    assert_equal 11, @r.incrby("n", 10)
    assert_in_delta 11.5, @r.incrbyfloat("n", 0.5), 1e-9
    assert_equal %w[hello 11.5], @r.mget("greeting", "n")
    assert @r.set("once", "1", nx: true)
    refute @r.set("once", "2", nx: true)
    assert_equal 5, @r.append("greeting", "!!!!!") - 5
  end

  def test_expiry
    @r.set("session", "data", ex: 100)
    assert_includes 99..100, @r.ttl("session")
    assert @r.persist("session")
    assert_equal(-1, @r.ttl("session"))
    @r.set("short", "x", px: 50)
    sleep 0.2
    assert_nil @r.get("short")
  end

  def test_keys_and_scan
    100.times { |i| @r.set("cache:#{i}", i) }
    @r.set("other", 1)
    assert_equal 101, @r.dbsize
    found = @r.scan_each(match: "cache:*", count: 7).to_a
    assert_equal 100, found.uniq.size
    # Rails' delete_matched: delete while scanning.
    @r.scan_each(match: "cache:*") { |k| @r.del(k) }
    assert_equal ["other"], @r.keys("*")
  end

  def test_pipelining
    results = @r.pipelined do |p|
      100.times { |i| p.set("p:#{i}", i) }
      p.get("p:42")
    end
    assert_equal "42", results.last
    assert_equal 100, @r.exists("p:0", *(1..99).map { |i| "p:#{i}" })
  end

  def test_errors
    @r.set("s", "abc")
    err = assert_raises(Redis::CommandError) { @r.incr("s") }
    assert_equal "ERR value is not an integer or out of range", err.message
    err = assert_raises(Redis::CommandError) { @r.call("NOSUCH") }
    assert_match(/unknown command 'NOSUCH'/, err.message)
  end

  def test_info_and_client
    info = @r.info
    assert_equal "7.2.4", info["redis_version"]
    @r.call("CLIENT", "SETNAME", "rb")
    assert_equal "rb", @r.call("CLIENT", "GETNAME")
    assert_equal 16, @r.config(:get, "databases")["databases"].to_i
  end
end
