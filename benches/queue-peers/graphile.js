// graphile-worker peer: `node graphile.js clean | bulk N | trickle COUNT INTERVAL_MS | consume`.
// The producer commands print one JSON line; `consume` runs one runner until SIGTERM and
// reports through lib.js's Tracker. Everything lives in its own schema, dropped by `clean`.
"use strict";
const { EventEmitter } = require("events");
const { Client } = require("pg");
const { run, runMigrations, makeWorkerUtils, Logger } = require("graphile-worker");
const { version } = require("graphile-worker/package.json");
const { now, sleep, env, trickle, Tracker, fail } = require("./lib");

const schema = "pnbench_graphile_worker";
// Jobs are announced by LISTEN/NOTIFY; the poll is only the fallback when a worker finds no job
// (default 2000 ms). 100 ms keeps an idle worker from sleeping through the latency phase.
const pollInterval = 100;
// Warnings and errors only: by default graphile-worker logs a line per completed job, which
// the other peers are not asked to do here.
const logger = new Logger(() => (level, message) => {
  if (level === "error" || level === "warning") console.error(`[graphile] ${level}: ${message}`);
});
const options = { connectionString: env.databaseUrl, schema, logger };

async function produce(cmd, args) {
  if (cmd === "clean") {
    const client = new Client({ connectionString: env.databaseUrl });
    await client.connect();
    await client.query("set client_min_messages = warning");
    await client.query(`drop schema if exists ${schema} cascade`);
    await client.end();
    await runMigrations(options); // installs the schema afresh
    return { version };
  }
  const utils = await makeWorkerUtils(options);
  try {
    await utils.migrate(); // no-op after clean; also opens a pool connection before timing
    if (cmd === "bulk") {
      const specs = Array.from({ length: Number(args[0]) }, () => ({ identifier: "noop", payload: {} }));
      const t0 = now();
      await utils.addJobs(specs); // one call of graphile_worker's add_jobs() SQL function
      return { seconds: (now() - t0) / 1000 };
    }
    if (cmd === "trickle") {
      await trickle(Number(args[0]), Number(args[1]), (t) => utils.addJob("noop", { t }));
      return {};
    }
    throw new Error(`unknown command ${cmd}`);
  } finally {
    await utils.release();
  }
}

async function consume() {
  // graphile-worker emits "job:complete" right after *starting* the DELETE that completes the
  // job (not awaited), so the bulk phase ends when the jobs table is really empty.
  const client = new Client({ connectionString: env.databaseUrl });
  await client.connect();
  const jobsLeft = async () =>
    (await client.query(`select count(*)::int as n from ${schema}._private_jobs`)).rows[0].n;
  const tracker = new Tracker({
    onBulkDone: async () => {
      while ((await jobsLeft()) > 0) await sleep(2);
      return now();
    },
  });
  const events = new EventEmitter();
  events.on("job:complete", ({ job, error }) => error || tracker.completed(job.payload));
  tracker.ready();
  const runner = await run({
    ...options,
    concurrency: env.concurrency,
    noHandleSignals: true,
    pollInterval,
    events,
    taskList: { noop: async (payload) => tracker.started(payload) },
  });
  process.on("SIGTERM", () =>
    runner.stop().then(() => client.end()).then(() => process.exit(0), fail));
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === "consume") consume().catch(fail);
else produce(cmd, args).then((r) => console.log(JSON.stringify(r)), fail);
