# Loaded by `sidekiq -r sidekiq/worker.rb` (Sidekiq 6.4 has no embedded API; the CLI is the
# consumer). The no-op job, plus the tracking that writes the result files bench.js waits for:
# the same protocol as Tracker in ../lib.js. Times are epoch milliseconds (float).
require "sidekiq"
require "json"

# Debian pairs Sidekiq 6.4 with redis-rb 4.8, which warns (to stderr) on every BRPOP and SADD
# Sidekiq makes: thousands of lines per run, and time spent writing them.
Redis.silence_deprecations = true

module Bench
  OUT = ENV.fetch("BENCH_OUT")
  BULK_N = Integer(ENV.fetch("BENCH_BULK_N"))
  LAT_N = Integer(ENV.fetch("BENCH_LAT_N"))
  LOCK = Mutex.new # perform runs on C threads
  @bulk_done = 0
  @lat_done = 0
  @latencies = []

  def self.now = Process.clock_gettime(Process::CLOCK_REALTIME, :float_millisecond)

  # Via rename, so that bench.js (which polls for the file) never reads half of it.
  def self.write(name, value)
    path = File.join(OUT, name)
    File.write("#{path}.tmp", JSON.generate(value))
    File.rename("#{path}.tmp", path)
  end

  def self.started(t)
    LOCK.synchronize { @latencies << now - t } if t
  end

  def self.completed(t)
    LOCK.synchronize do
      if t
        write("latency.json", { latencies_ms: @latencies }) if (@lat_done += 1) == LAT_N
      elsif (@bulk_done += 1) == BULK_N
        write("bulk.json", { t: now })
      end
    end
  end
end

Sidekiq.configure_server do |config|
  config.redis = { url: ENV.fetch("REDIS_URL") }
  # Sidekiq logs two lines per job at info; the other peers log nothing per job.
  Sidekiq.logger.level = Logger::WARN
  # Fired by the CLI after boot, just before the fetchers start.
  config.on(:startup) { Bench.write("ready.json", { t: Bench.now }) }
end

class NoopJob
  include Sidekiq::Worker

  # Bulk jobs have no argument; latency jobs carry their enqueue time.
  def perform(t = nil)
    Bench.started(t)
    # With Sidekiq's default (basic) fetch the job left Redis when it was fetched: there is no
    # acknowledgement, so the job is complete when perform returns.
    Bench.completed(t)
  end
end
