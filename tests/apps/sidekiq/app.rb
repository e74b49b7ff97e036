# A tiny Sidekiq 6.4 application (Debian's ruby-sidekiq) used by tests/test_apps.py to prove
# the server with real Sidekiq processes. Every job records its execution in Redis:
#   INCR runs:<jid>          how many times the job body ran (failing attempts included)
#   SADD done <jid>          the job finished successfully
#   HSET ran_at <jid> <t>    when the successful run started (float seconds)
#   HSET retried <jid> <n>   retry_count seen by the successful run of a retried job
# REDIS_URL (redis://127.0.0.1:PORT) selects the server, as for any Sidekiq deployment.
require "sidekiq"
require "sidekiq/job_retry"

Redis.silence_deprecations = true if Redis.respond_to?(:silence_deprecations=)

# Short poll interval so scheduled and retried jobs come back within a second or two.
# With poll_interval_average set, Sidekiq's poller also skips its 10 s initial wait.
Sidekiq.options[:poll_interval_average] = 0.5
Sidekiq.options[:average_scheduled_poll_interval] = 0.5

# Sidekiq adds rand(10) * (count + 1) seconds of jitter to every retry delay; the test wants
# retries after ~1 s, so use the worker's sidekiq_retry_in value as is.
module NoRetryJitter
  def delay_for(worker, count, exception)
    custom = worker&.sidekiq_retry_in_block ? retry_in(worker, count, exception).to_i : 0
    custom > 0 ? custom : super
  end
end
Sidekiq::JobRetry.prepend(NoRetryJitter)

module Record
  def record(extra = {})
    t = Time.now.to_f
    Sidekiq.redis do |c|
      c.multi do |m|
        m.sadd("done", jid)
        m.hset("ran_at", jid, t.to_s)
        extra.each { |k, v| m.hset(k, jid, v.to_s) }
      end
    end
  end
end

# Immediate and scheduled (perform_in) jobs.
class RecordJob
  include Sidekiq::Worker
  include Record
  sidekiq_options retry: 3

  def perform(n, not_before = nil)
    Sidekiq.redis { |c| c.incr("runs:#{jid}") }
    record("args" => n)
  end
end

# Fails on its first attempt, so it goes through the retry set once, then succeeds.
class FlakyJob
  include Sidekiq::Worker
  include Record
  sidekiq_options retry: 3
  sidekiq_retry_in { |_count, _exception| 1 }

  def perform(n)
    runs = Sidekiq.redis { |c| c.incr("runs:#{jid}") }
    raise "first attempt of #{n} fails on purpose" if runs == 1
    record("args" => n)
  end
end

# Records the retry_count of each successful run of a retried job (server middleware sees
# the job hash), proving the second attempt came from the retry set.
class RetryProbe
  def call(_worker, job, _queue)
    yield
    if job["retry_count"]
      Sidekiq.redis { |c| c.hset("retried", job["jid"], job["retry_count"].to_s) }
    end
  end
end

Sidekiq.configure_server do |config|
  config.server_middleware { |chain| chain.add RetryProbe }
end
