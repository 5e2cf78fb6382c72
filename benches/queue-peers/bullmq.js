// BullMQ peer: `node bullmq.js clean | bulk N | trickle COUNT INTERVAL_MS | consume`.
// The producer commands print one JSON line; `consume` runs one Worker until SIGTERM and
// reports through lib.js's Tracker. Keys live under "bull:<queue>:*" in the given Redis.
"use strict";
const IORedis = require("ioredis");
const { Queue, Worker } = require("bullmq");
const { version } = require("bullmq/package.json");
const { now, env, trickle, Tracker, fail } = require("./lib");

// BullMQ requires maxRetriesPerRequest: null on a Worker's connection (its blocking commands
// must never be failed by ioredis' retry limit). ioredis reconnects forever by default, so
// the producers give up after ~3 s instead of hanging on a wrong URL.
const connect = (retryForever) =>
  new IORedis(env.redisUrl, {
    maxRetriesPerRequest: null,
    retryStrategy: (n) => (retryForever || n <= 15 ? Math.min(n * 50, 500) : null),
  });
// Sidekiq and graphile-worker keep nothing once a job is done; BullMQ by default keeps every
// completed job (a hash plus a sorted-set entry). Removing them is the like-for-like setting.
const jobOpts = { removeOnComplete: true };

async function produce(cmd, args) {
  const connection = connect(false);
  const queue = new Queue(env.queue, { connection });
  queue.on("error", () => {}); // one per reconnect attempt; the final failure is reported below
  await queue.waitUntilReady(); // connect before any timing starts
  try {
    if (cmd === "clean") {
      await queue.obliterate({ force: true }); // deletes every key of the queue
      return { version };
    }
    if (cmd === "bulk") {
      const jobs = Array.from({ length: Number(args[0]) }, () => ({ name: "noop", data: {}, opts: jobOpts }));
      const t0 = now();
      await queue.addBulk(jobs); // one MULTI with one Lua call per job
      return { seconds: (now() - t0) / 1000 };
    }
    if (cmd === "trickle") {
      await trickle(Number(args[0]), Number(args[1]), (t) => queue.add("noop", { t }, jobOpts));
      return {};
    }
    throw new Error(`unknown command ${cmd}`);
  } finally {
    await queue.close();
    await connection.quit(); // a connection passed in is shared, so close() leaves it open
  }
}

function consume() {
  const tracker = new Tracker();
  tracker.ready();
  const worker = new Worker(env.queue, async (job) => tracker.started(job.data), {
    connection: connect(true),
    concurrency: env.concurrency,
  });
  // "completed" fires once the job has been moved to finished (here: deleted) in Redis.
  worker.on("completed", (job) => tracker.completed(job.data));
  worker.on("error", (err) => console.error("[bullmq] worker error:", err.message));
  process.on("SIGTERM", () => worker.close().then(() => process.exit(0), fail));
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === "consume") consume();
else produce(cmd, args).then((r) => console.log(JSON.stringify(r)), fail);
