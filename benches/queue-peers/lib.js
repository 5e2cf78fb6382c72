// Shared by the Node peers (bullmq.js, graphile.js): the clock, the pacing of the latency phase,
// and the consumer-side Tracker, whose result files are the protocol bench.js reads
// (sidekiq/worker.rb writes the same files). All times are epoch milliseconds with sub-ms
// precision, so that a producer and a consumer in different processes can be compared.
"use strict";
const fs = require("fs");
const path = require("path");

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Environment set by bench.js for every peer command.
const env = {
  queue: process.env.BENCH_QUEUE || "pnbench",
  redisUrl: process.env.REDIS_URL,
  databaseUrl: process.env.DATABASE_URL,
  concurrency: Number(process.env.BENCH_CONCURRENCY || 10),
  out: process.env.BENCH_OUT, // dir for the consumer's result files
  bulkN: Number(process.env.BENCH_BULK_N || 0),
  latN: Number(process.env.BENCH_LAT_N || 0),
};

// Written via rename so that bench.js, which polls for the file, never reads half of it.
function writeResult(name, value) {
  const file = path.join(env.out, name);
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(value));
  fs.renameSync(`${file}.tmp`, file);
}

// Enqueues `count` latency jobs one at a time, `intervalMs` apart on a fixed schedule (no drift
// from slow adds). `add(t)` must enqueue a job whose payload carries t, the enqueue time.
async function trickle(count, intervalMs, add) {
  const t0 = now();
  for (let i = 0; i < count; i++) {
    await sleep(t0 + i * intervalMs - now());
    await add(now());
  }
}

// Bulk jobs carry no payload; latency jobs carry {t}. The handler calls started(payload) first
// thing; the peer calls completed(payload) when the peer itself considers the job done.
class Tracker {
  constructor({ onBulkDone } = {}) {
    this.bulkDone = 0;
    this.latDone = 0;
    this.latencies = [];
    this.onBulkDone = onBulkDone || (async () => now());
  }
  ready() {
    writeResult("ready.json", { t: now() });
  }
  started(payload) {
    if (payload && payload.t !== undefined) this.latencies.push(now() - payload.t);
  }
  completed(payload) {
    if (payload && payload.t !== undefined) {
      if (++this.latDone === env.latN) writeResult("latency.json", { latencies_ms: this.latencies });
    } else if (++this.bulkDone === env.bulkN) {
      this.onBulkDone().then((t) => writeResult("bulk.json", { t }));
    }
  }
}

function fail(err) {
  console.error(err && err.stack ? err.stack : String(err));
  process.exit(1);
}

module.exports = { now, sleep, env, trickle, Tracker, fail };
