// bench/burst: a burst of brand-new anonymous visitors (each event a new device id, as
// new visitors' first page views are) against a throwaway local server, with the
// server's memory sampled throughout and for a while after. Clients behave as the
// official SDKs do: a 429/503 (or a broken connection) is resent after its Retry-After.
// Afterwards every profile is counted server-side.
//   node bench/burst.mjs [--profiles 3000] [--batch 100] [--concurrency 8] [--idle 60]
//        [--count true] [--json bench/results/burst.json]
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname } from "node:path";
import { option } from "../scripts/lib/local.mjs";
import { startLocalWorker } from "../scripts/lib/worker.mjs";
import { adminGet, fmt, inBatches, memorySampler, newVisitors, percentile, sendUntilAcknowledged, sleep, table } from "./lib.mjs";

const argv = process.argv.slice(2);
const profiles = Number(option(argv, "profiles", "3000"));
const batch = Number(option(argv, "batch", "100"));
const concurrency = Number(option(argv, "concurrency", "8"));
const idleSeconds = Number(option(argv, "idle", "60"));
const countStored = option(argv, "count", "true") !== "false";
const jsonFile = option(argv, "json", "bench/results/burst.json");
const log = (msg) => process.stderr.write(`[bench:burst] ${msg}\n`);

const worker = await startLocalWorker({ quiet: process.env.BENCH_VERBOSE !== "1" });
const memory = memorySampler(worker.pid, 1000);
let exitCode = 0;
try {
  const { api_key } = await worker.createProject("burst");
  const baseline = memory.now();
  memory.start();
  const statuses = new Map();
  const firstRefusal = new Map();
  const latencies = [];
  let resent = 0;
  let acked = 0;
  /** One request of `batch` new devices, resent until acknowledged (as an SDK's retry queue does). */
  const send = async (first) => {
    const events = newVisitors(first, Math.min(batch, profiles - first));
    const { res, ms } = await sendUntilAcknowledged(`${worker.url}/2/httpapi`, JSON.stringify({ api_key, events }), {
      onAnswer: (answer) => {
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        if (answer.status !== 200 && !firstRefusal.has(answer.status)) firstRefusal.set(answer.status, answer.body.slice(0, 160));
        if (answer.status !== 200) resent++;
      },
    });
    if (res.status !== 200) throw new Error(`refused: ${res.status} ${res.body.slice(0, 200)}`);
    latencies.push(ms);
    acked += events.length;
    if (performance.now() - lastLog > 5000) {
      lastLog = performance.now();
      log(`${fmt(acked)} of ${fmt(profiles)} acknowledged, ${fmt((memory.last() ?? 0) / 1e6)} MB`);
    }
  };
  const t0 = performance.now();
  let lastLog = t0;
  await inBatches({ total: profiles, batch, concurrency, send });
  const burstSeconds = (performance.now() - t0) / 1000;
  const peakBurst = memory.peak();
  const endBurst = memory.now();
  log(`burst done in ${fmt(burstSeconds, 1)} s; idling ${idleSeconds} s`);
  await sleep(idleSeconds * 1000);
  const afterIdle = memory.now();

  const lookUp = async (deviceId) => {
    const { status, body } = await adminGet(worker.url, worker.adminToken, `/projects/burst/users?device_id=${deviceId}&events=0`, {
      onRetry: (res) => typeof res.status !== "number" && readErrors++,
    });
    return { status, json: JSON.parse(body) };
  };
  let readErrors = 0;
  let stored = 0;
  let missing = 0;
  let countSeconds = 0;
  if (countStored) {
    const c0 = performance.now();
    for (let d = 0; d < profiles; d += 32) {
      const reads = await Promise.all(Array.from({ length: Math.min(32, profiles - d) }, (_, i) => lookUp(`burst-device-${d + i}`)));
      for (const r of reads) {
        if (r.status === 200) stored += r.json.profile.event_count;
        else missing++;
      }
      if (d % 5000 === 0) log(`counted ${d + reads.length} profiles`);
    }
    countSeconds = (performance.now() - c0) / 1000;
  }
  const samples = memory.stop();
  const statusText = [...statuses].map(([s, n]) => `${s}: ${fmt(n)}`).join(", ");
  const perProfile = (endBurst - baseline) / profiles;
  const rows = [
    ["new profiles (one event each)", fmt(profiles)],
    ["request shape", `${batch} events, ${batch} new device ids, /2/httpapi, ${concurrency} clients`],
    ["burst duration s", fmt(burstSeconds, 1)],
    ["new profiles/s", fmt(profiles / burstSeconds)],
    ["answers", statusText],
    ["requests resent (429/503/broken, after Retry-After)", fmt(resent)],
    [
      "p50 / p99 ms (acknowledged requests)",
      `${fmt(
        percentile(
          latencies.sort((a, b) => a - b),
          0.5,
        ),
        1,
      )} / ${fmt(percentile(latencies, 0.99), 1)}`,
    ],
    [
      "server memory before · peak · end of burst · after idle (MB)",
      `${fmt(baseline / 1e6)} · ${fmt(peakBurst / 1e6)} · ${fmt(endBurst / 1e6)} · ${fmt(afterIdle / 1e6)}`,
    ],
    ["memory growth per new profile (end of burst)", `${fmt(perProfile / 1e3, 1)} kB`],
    ["profiles resident at most (open profile databases)", fmt(memory.peakProfiles())],
    ...(countStored
      ? [
          ["stored (server count) · profiles missing", `${fmt(stored)} · ${fmt(missing)}`],
          ["counting took s · reads resent after a broken connection", `${fmt(countSeconds, 1)} · ${fmt(readErrors)}`],
        ]
      : []),
  ];
  console.log(`\nbench/burst — ${cpus().length} cores, the local server (workerd via Miniflare, as npm start) with local state\n`);
  console.log(table(["measure", "value"], rows));
  for (const [status, body] of firstRefusal) console.log(`first ${status}: ${body}`);
  mkdirSync(dirname(jsonFile), { recursive: true });
  writeFileSync(
    jsonFile,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        profiles,
        batch,
        concurrency,
        burstSeconds,
        statuses: Object.fromEntries(statuses),
        resent,
        baseline,
        peakBurst,
        endBurst,
        afterIdle,
        stored,
        missing,
        samples,
      },
      null,
      2,
    ),
  );
  if (countStored && (stored !== profiles || missing > 0)) {
    console.log("\nFAILED: stored ≠ sent");
    exitCode = 1;
  }
  // A reset connection is resent as the SDKs resend a network error (counted in "answers");
  // a hang or a 5xx other than 503 is a failure.
  if ([...statuses.keys()].some((s) => s === "hung" || (typeof s === "number" && s >= 500 && s !== 503))) {
    console.log("\nFAILED: a hang or a 5xx other than 503");
    exitCode = 1;
  }
} finally {
  await worker.stop();
}
process.exit(exitCode);
