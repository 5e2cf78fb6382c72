// Runs the queue workload against one peer and prints ONE line of JSON on stdout (progress on
// stderr). Called by run.sh, which sets NODE_PATH; see README.md for the workload.
//
// Each peer provides a producer with the commands `clean`, `bulk N`, `trickle COUNT INTERVAL_MS`
// (each prints one JSON line) and a consumer process that writes, into $BENCH_OUT:
// ready.json {t} when it starts fetching, bulk.json {t} when the N bulk jobs are complete, and
// latency.json {latencies_ms} once the latency jobs are complete. Times are epoch ms.
"use strict";
const { spawn } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");

const LAT_JOBS = 200;
const LAT_INTERVAL_MS = 5;
const QUEUE = "pnbench";
const here = __dirname;

const PEERS = {
  sidekiq: {
    producer: ["ruby", [path.join(here, "sidekiq/client.rb")]],
    consumer: (c) => ["sidekiq", ["-r", path.join(here, "sidekiq/worker.rb"), "-c", String(c), "-q", QUEUE]],
  },
  bullmq: {
    producer: ["node", [path.join(here, "bullmq.js")]],
    consumer: () => ["node", [path.join(here, "bullmq.js"), "consume"]],
  },
  graphile: {
    producer: ["node", [path.join(here, "graphile.js")]],
    consumer: () => ["node", [path.join(here, "graphile.js"), "consume"]],
  },
};

function parseArgs(argv) {
  const usage = `usage: run.sh ${Object.keys(PEERS).join("|")} --jobs N --concurrency C --redis-url URL --database-url URL`;
  const [peer, ...rest] = argv;
  const opts = {};
  for (let i = 0; i < rest.length; i += 2) {
    const key = { "--jobs": "jobs", "--concurrency": "concurrency", "--redis-url": "redisUrl", "--database-url": "databaseUrl" }[rest[i]];
    if (!key || rest[i + 1] === undefined) throw new Error(`bad argument ${rest[i]}\n${usage}`);
    opts[key] = rest[i + 1];
  }
  if (!PEERS[peer]) throw new Error(`unknown peer ${peer}\n${usage}`);
  for (const k of ["jobs", "concurrency"]) {
    opts[k] = Number(opts[k]);
    if (!Number.isInteger(opts[k]) || opts[k] < 1) throw new Error(`--${k} must be a positive integer\n${usage}`);
  }
  if (peer !== "graphile" && !opts.redisUrl) throw new Error(`--redis-url is required for ${peer}`);
  if (peer === "graphile" && !opts.databaseUrl) throw new Error("--database-url is required for graphile");
  return { peer, ...opts };
}

const cfg = parseArgs(process.argv.slice(2));
const deadline = Date.now() + Number(process.env.BENCH_TIMEOUT_S || 600) * 1000;
const out = fs.mkdtempSync(path.join(os.tmpdir(), "queue-peers-"));
const env = {
  ...process.env,
  REDIS_URL: cfg.redisUrl || "",
  DATABASE_URL: cfg.databaseUrl || "",
  BENCH_QUEUE: QUEUE,
  BENCH_CONCURRENCY: String(cfg.concurrency),
  BENCH_OUT: out,
  BENCH_BULK_N: String(cfg.jobs),
  BENCH_LAT_N: String(LAT_JOBS),
};
const log = (msg) => console.error(`[bench ${cfg.peer}] ${msg}`);
let consumer = null;
let producer = null; // the producer command running now, if any

function timedOut(what) {
  return new Error(`timed out (BENCH_TIMEOUT_S=${process.env.BENCH_TIMEOUT_S || 600}) while ${what}`);
}

// Runs a producer command to completion and returns its JSON line.
function step(...args) {
  const [cmd, base] = PEERS[cfg.peer].producer;
  return new Promise((resolve, reject) => {
    const child = (producer = spawn(cmd, [...base, ...args.map(String)], { env, stdio: ["ignore", "pipe", "inherit"] }));
    let stdout = "";
    child.stdout.on("data", (d) => (stdout += d));
    const timer = setTimeout(() => (child.kill("SIGKILL"), reject(timedOut(`running ${args[0]}`))), deadline - Date.now());
    child.on("error", (err) => (clearTimeout(timer), reject(err)));
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`${args[0]} failed (${signal || `exit ${code}`})`));
      try {
        resolve(JSON.parse(stdout.trim().split("\n").pop()));
      } catch {
        reject(new Error(`${args[0]} printed no JSON: ${stdout}`));
      }
    });
  });
}

// Waits for a result file of the consumer; fails if the consumer dies or time runs out.
async function waitFile(name, what) {
  const file = path.join(out, name);
  for (;;) {
    if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, "utf8"));
    if (consumer.exitCode !== null || consumer.signalCode !== null) {
      throw new Error(`consumer exited (${consumer.signalCode || `exit ${consumer.exitCode}`}) while ${what}`);
    }
    if (Date.now() > deadline) throw timedOut(what);
    await new Promise((r) => setTimeout(r, 5));
  }
}

// SIGTERM (graceful), then SIGKILL after 30 s. Resolves once the process is gone.
function stopConsumer() {
  if (!consumer || consumer.exitCode !== null || consumer.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => (log("consumer ignored SIGTERM for 30 s: SIGKILL"), consumer.kill("SIGKILL")), 30000);
    consumer.on("exit", () => (clearTimeout(kill), resolve()));
    consumer.kill("SIGTERM");
  });
}

const percentile = (sorted, p) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
const round = (x, digits) => Number(x.toFixed(digits));

async function main() {
  log(`clean (queue/schema "${QUEUE}")`);
  const { version } = await step("clean");
  log(`${cfg.peer} ${version}: bulk enqueue of ${cfg.jobs} jobs`);
  const { seconds: enqueueSeconds } = await step("bulk", cfg.jobs);
  log(`enqueued in ${enqueueSeconds.toFixed(3)} s; starting the consumer (concurrency ${cfg.concurrency})`);

  const [cmd, args] = PEERS[cfg.peer].consumer(cfg.concurrency);
  const spawnedAt = Date.now();
  // The consumer's own output (logs) goes to our stderr; stdout is for the result only.
  consumer = spawn(cmd, args, { env, stdio: ["ignore", 2, 2] });
  consumer.on("error", (err) => log(`consumer: ${err.message}`));
  const ready = await waitFile("ready.json", "waiting for the consumer to start");
  log(`consumer ready after ${((ready.t - spawnedAt) / 1000).toFixed(2)} s of boot`);
  const bulk = await waitFile("bulk.json", `processing ${cfg.jobs} jobs`);
  const processSeconds = (bulk.t - ready.t) / 1000;
  log(`processed in ${processSeconds.toFixed(3)} s; latency phase: ${LAT_JOBS} jobs, ${LAT_INTERVAL_MS} ms apart`);

  await step("trickle", LAT_JOBS, LAT_INTERVAL_MS);
  const { latencies_ms: lat } = await waitFile("latency.json", "waiting for the latency jobs");
  await stopConsumer();

  const sorted = lat.slice().sort((a, b) => a - b);
  return {
    peer: cfg.peer,
    version,
    jobs: cfg.jobs,
    concurrency: cfg.concurrency,
    enqueue_per_sec: round(cfg.jobs / enqueueSeconds, 1),
    process_per_sec: round(cfg.jobs / processSeconds, 1),
    latency_p50_ms: round(percentile(sorted, 50), 2),
    latency_p99_ms: round(percentile(sorted, 99), 2),
  };
}

function cleanup() {
  fs.rmSync(out, { recursive: true, force: true });
}
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    log(`${sig}: stopping`);
    for (const child of [producer, consumer]) if (child) child.kill("SIGKILL");
    cleanup();
    process.exit(1);
  });
}

main().then(
  (result) => {
    cleanup();
    console.log(JSON.stringify(result));
  },
  async (err) => {
    log(`ERROR: ${err.message}`);
    await stopConsumer();
    cleanup();
    process.exit(1);
  },
);
