# Sidekiq producer: `ruby client.rb clean | bulk N | trickle COUNT INTERVAL_MS`; prints one JSON
# line. The job class is named, not loaded: a producer does not need the worker code.
require "sidekiq"
require "sidekiq/api"
require "json"

Redis.silence_deprecations = true # see worker.rb

Sidekiq.configure_client { |config| config.redis = { url: ENV.fetch("REDIS_URL") } }
queue = ENV.fetch("BENCH_QUEUE", "pnbench")
job = { "class" => "NoopJob", "queue" => queue }
now = -> { Process.clock_gettime(Process::CLOCK_REALTIME, :float_millisecond) }
Sidekiq.redis(&:ping) # connect before any timing starts

result =
  case ARGV[0]
  when "clean"
    Sidekiq::Queue.new(queue).clear # the queue's list and its entry in "queues"
    { version: Sidekiq::VERSION }
  when "bulk"
    args = Array.new(Integer(ARGV[1])) { [] }
    t0 = now.call
    Sidekiq::Client.push_bulk(job.merge("args" => args)) # one LPUSH of all N payloads
    { seconds: (now.call - t0) / 1000 }
  when "trickle"
    count, interval = Integer(ARGV[1]), Float(ARGV[2])
    t0 = now.call
    count.times do |i|
      # A fixed schedule, as in lib.js: a slow push does not shift the following ones.
      delay = (t0 + i * interval - now.call) / 1000
      sleep(delay) if delay.positive?
      Sidekiq::Client.push(job.merge("args" => [now.call]))
    end
    {}
  else
    abort "unknown command #{ARGV[0]}"
  end
puts JSON.generate(result)
