// bench/jobs-load: a backfill, a training run and live ingestion at once on the data set,
// as a marketer's first hour goes (define a cohort, press Train now, while the site keeps
// sending events), with the local server's memory sampled throughout. It reports each
// job's outcome as the server does (backfill status and failures, training status) and
// what the live traffic saw (acknowledged events, 503s, other errors), the peak memory, and
// the new cohort's size in the membership index against a recomputation from the raw file.
//   node bench/jobs-load.mjs [--state DIR] [--project default] [--seconds-after 5]
//        [--json bench/results/jobs-load.json]
// --state reuses a local state that already holds the data set (e.g. `.wrangler/state`
// after `npm start` + `npm run load`); it is copied, never changed. Without it the data
// set is loaded first (about 5 minutes). Data: Chen, Sain & Guo (2012), Online Retail, UCI
// ML Repository, https://doi.org/10.24432/C5BW33, CC BY 4.0.
import { spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gunzipSync } from "node:zlib";
import { option, ROOT } from "../scripts/lib/local.mjs";
import { startLocalWorker } from "../scripts/lib/worker.mjs";
import { adminGet, fmt, memorySampler, sendUntilAcknowledged, sleep, table } from "./lib.mjs";

const argv = process.argv.slice(2);
const state = option(argv, "state");
const project = option(argv, "project", state ? "default" : "jobs");
const jsonFile = option(argv, "json", "bench/results/jobs-load.json");
const DATA = "../shared/data/online-retail.csv.gz";
const log = (msg) => process.stderr.write(`[bench:jobs-load] ${msg}\n`);

const node = (args, env = {}) =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, ...env } });
    child.on("exit", (code) => resolve(code ?? 1));
  });

const persistTo = state ? mkdtempSync(join(tmpdir(), "tailor-jobs-")) : undefined;
if (state) cpSync(state, persistTo, { recursive: true });
const worker = await startLocalWorker({ quiet: process.env.BENCH_VERBOSE !== "1", persistTo });
const memory = memorySampler(worker.pid, 1000);
let exitCode = 0;
try {
  const get = async (path) => JSON.parse((await adminGet(worker.url, worker.adminToken, path)).body);
  let apiKey;
  if (state) apiKey = (await get(`/projects/${project}`)).project.api_key;
  else {
    apiKey = (await worker.createProject(project)).api_key;
    log("loading the data set (about 5 minutes)");
    if ((await node(["--import", "tsx", "scripts/load.ts", "--url", worker.url, "--api-key", apiKey])) !== 0) throw new Error("npm run load failed");
  }
  // The data set's rows as (invoice, customer): returning customers for the live traffic (as
  // a live site's is mostly), and each customer's orders for the cohort's true size.
  const rows = gunzipSync(readFileSync(join(ROOT, DATA)))
    .toString("utf8")
    .split("\n")
    .slice(1)
    .flatMap((l) => {
      const cells = l.split(",");
      const customer = cells.at(-2)?.replace(/\.0$/, "");
      return customer ? [{ invoice: cells[0], customer }] : [];
    });
  const customers = [...new Set(rows.map((r) => r.customer))];
  const orders = new Map();
  for (const r of rows) if (!r.invoice.startsWith("C")) (orders.get(r.customer) ?? orders.set(r.customer, new Set()).get(r.customer)).add(r.invoice);
  const trueSize = [...orders.values()].filter((o) => o.size >= 3).length;
  if ((await adminGet(worker.url, worker.adminToken, `/projects/${project}/users?user_id=${customers[0]}`)).status !== 200)
    throw new Error("the project does not hold the data set: load it first");
  memory.start();
  const baseline = memory.now();

  // Live traffic: SDK-shaped batches (100 events, 10 customers), 8 clients, resent as SDKs do.
  const live = { acked: 0, refused: 0, resets: 0, errors: 0, firstError: null };
  let stop = false;
  let seq = 0;
  const client = async () => {
    while (!stop) {
      const events = Array.from({ length: 100 }, (_, i) => ({
        user_id: customers[(seq + (i % 10)) % customers.length],
        event_type: "Product Viewed",
        insert_id: `jobs-${seq}-${i}`,
        time: Date.now(),
      }));
      seq += 10;
      const { res } = await sendUntilAcknowledged(`${worker.url}/2/httpapi`, JSON.stringify({ api_key: apiKey, events }), {
        onAnswer: (a) => {
          if (a.status === 503 || a.status === 429) live.refused++;
          else if (a.status === "connection error")
            live.resets++; // resent, as SDKs do (README: "Memory and bursts")
          else if (a.status !== 200) {
            live.errors++;
            live.firstError ??= `${a.status} ${String(a.body).slice(0, 160)}`;
          }
        },
      });
      if (res.status === 200) live.acked += events.length;
    }
  };
  const clients = Array.from({ length: 8 }, client);
  await sleep(5_000);

  const t0 = performance.now();
  const startedAt = Date.now();
  const cohort = await worker.admin("POST", `/projects/${project}/cohorts`, {
    name: "Three orders or more",
    definition: { type: "behavioral", match: { performed: { event: { type: "Order Completed" }, op: ">=", value: 3 } } },
  });
  if (cohort.status !== 201) throw new Error(`cohort: ${cohort.status} ${JSON.stringify(cohort.json)}`);
  const prediction = await worker.admin("POST", `/projects/${project}/predictions`, {
    name: "Orders again within 30 days",
    definition: { goal: { event: { type: "Order Completed" } }, horizon_days: 30 },
  });
  if (prediction.status !== 201) throw new Error(`prediction: ${prediction.status} ${JSON.stringify(prediction.json)}`);
  log(`backfills started; training ${prediction.json.id}`);
  let trainingDone = false;
  const training = node(["--import", "tsx", "src/train/cli.ts", prediction.json.id, "--url", worker.url, "--project", project], {
    TAILOR_ADMIN_TOKEN: worker.adminToken,
  }).then((code) => {
    trainingDone = true;
    return { code, seconds: (performance.now() - t0) / 1000 };
  });
  // The backfill to watch is the newest: each definition change (the published model too) starts one that supersedes the last.
  let backfill;
  let backfillSeconds;
  const superseded = [];
  for (;;) {
    const list = (await get(`/projects/${project}/backfills`)).backfills.filter((b) => b.started_at >= startedAt);
    backfill = list.reduce((a, b) => (b.started_at > a.started_at ? b : a));
    for (const b of list) if (b.status === "superseded" && !superseded.includes(b.id)) superseded.push(b.id);
    if (backfill.status !== "running" && trainingDone) break;
    if (backfill.status !== "running" && backfillSeconds === undefined)
      log(`backfill ${backfill.id} ${backfill.status} after ${fmt((performance.now() - t0) / 1000, 1)} s; waiting for training`);
    if (backfill.status !== "running") backfillSeconds ??= (performance.now() - t0) / 1000;
    else backfillSeconds = undefined;
    await sleep(1_000);
  }
  backfillSeconds ??= (performance.now() - t0) / 1000;
  const trained = await training;
  stop = true;
  await Promise.all(clients);
  // The cohort's size (read from the membership index, as the UI, the Cohort API and syncs do) against the raw file.
  let size;
  for (let i = 0; i < 60; i++, await sleep(1_000)) {
    size = (await get(`/projects/${project}/cohorts/${cohort.json.id}`)).size;
    if (size === trueSize) break;
  }
  const samples = memory.stop();
  const result = {
    measured_at: new Date().toISOString(),
    backfill: {
      id: backfill.id,
      status: backfill.status,
      processed: backfill.processed,
      total: backfill.total,
      failures: backfill.failures,
      seconds: backfillSeconds,
      superseded,
    },
    cohort_size: { index: size, recomputed_from_raw: trueSize },
    training: { exit_code: trained.code, seconds: trained.seconds },
    live,
    memory_mb: { before: baseline / 1e6, peak: Math.max(...samples.map((s) => s[1])) / 1e6, end: samples.at(-1)[1] / 1e6 },
    peak_resident_profiles: Math.max(...samples.map((s) => s[2])),
    samples,
  };
  console.log(
    table(
      [
        "backfill (status · failures · s)",
        "cohort size: index · raw file",
        "training (exit · s)",
        "live events acked",
        "503s resent",
        "resets resent",
        "errors",
        "memory before · peak · end (MB)",
        "peak resident profiles",
      ],
      [
        [
          `${backfill.status} · ${backfill.failures} · ${fmt(backfillSeconds, 0)}`,
          `${fmt(size)} · ${fmt(trueSize)}`,
          `${trained.code} · ${fmt(trained.seconds, 0)}`,
          fmt(live.acked),
          fmt(live.refused),
          fmt(live.resets),
          `${live.errors}${live.firstError ? ` (${live.firstError})` : ""}`,
          `${fmt(result.memory_mb.before)} · ${fmt(result.memory_mb.peak)} · ${fmt(result.memory_mb.end)}`,
          fmt(result.peak_resident_profiles),
        ],
      ],
    ),
  );
  mkdirSync(dirname(jsonFile), { recursive: true });
  writeFileSync(jsonFile, JSON.stringify(result, null, 1));
  if (backfill.status !== "succeeded" || size !== trueSize || trained.code !== 0 || live.errors > 0) exitCode = 1;
} finally {
  await worker.stop();
}
process.exit(exitCode);
