# Client side of the Sidekiq test app: `ruby client.rb enqueue` enqueues 1,000 jobs and
# prints what it enqueued as JSON; `ruby client.rb stats` prints what Sidekiq's API reports.
# REDIS_URL selects the server.
require "json"
require "digest/sha1"
require_relative "app"
require "sidekiq/api"
require "sidekiq/scheduled"

QUEUES = %w[critical default low].freeze

def enqueue
  immediate = {}
  scheduled = {}
  flaky = {}
  QUEUES.each_with_index do |q, qi|
    # 100 jobs per queue one by one (pipelined SADD queues + LPUSH each) ...
    100.times do |i|
      immediate[RecordJob.set(queue: q).perform_async(qi * 1000 + i)] = q
    end
    # ... and 100 in one push_bulk (a single LPUSH with 100 payloads), as Mastodon's fan-out does.
    jids = Sidekiq::Client.push_bulk("class" => RecordJob, "queue" => q,
                                     "args" => (100...200).map { |i| [qi * 1000 + i] })
    jids.each { |j| immediate[j] = q }
    # 100 scheduled jobs per queue, due 1 to 3 s from now (ZADD schedule).
    100.times do |i|
      scheduled[RecordJob.set(queue: q).perform_in(1.0 + (i % 21) / 10.0, qi * 1000 + 200 + i)] = q
    end
  end
  # 100 jobs that fail once and come back through the retry set (ZADD retry).
  100.times do |i|
    q = QUEUES[i % 3]
    flaky[FlakyJob.set(queue: q).perform_async(9000 + i)] = q
  end
  # The exact due time of every scheduled job, read back through the API (ZRANGE WITHSCORES pages).
  due = {}
  Sidekiq::ScheduledSet.new.each { |e| due[e.jid] = e.at.to_f }
  puts JSON.generate("immediate" => immediate, "scheduled" => scheduled, "flaky" => flaky, "due" => due)
end

def stats
  s = Sidekiq::Stats.new
  out = {
    "processed" => s.processed, "failed" => s.failed, "enqueued" => s.enqueued,
    "scheduled_size" => s.scheduled_size, "retry_size" => s.retry_size, "dead_size" => s.dead_size,
    "processes_size" => s.processes_size, "queues" => s.queues,
    "queue_sizes" => QUEUES.to_h { |q| [q, Sidekiq::Queue.new(q).size] },
    "queue_names" => Sidekiq::Queue.all.map(&:name).sort,
    "scheduled_set_size" => Sidekiq::ScheduledSet.new.size,
    "retry_set_size" => Sidekiq::RetrySet.new.size,
    "dead_set_size" => Sidekiq::DeadSet.new.size,
    "process_set" => Sidekiq::ProcessSet.new.map { |p| {"identity" => p["identity"], "concurrency" => p["concurrency"], "queues" => p["queues"]} },
    "scheduled_classes" => Sidekiq::ScheduledSet.new.map(&:klass).tally,
    "retry_classes" => Sidekiq::RetrySet.new.map(&:klass).tally,
    # SHA-1 of the poller's script as this Sidekiq sends it (SCRIPT LOAD, then EVALSHA).
    "poller_sha" => Digest::SHA1.hexdigest(Sidekiq::Scheduled::Enq::LUA_ZPOPBYSCORE)
  }
  puts JSON.generate(out)
end

case ARGV[0]
when "enqueue" then enqueue
when "stats" then stats
else abort "usage: client.rb enqueue|stats"
end
