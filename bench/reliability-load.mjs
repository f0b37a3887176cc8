// reliability:load — a fixed-duration ingestion run against a throwaway local server (as npm start runs it) at
// the sustained rate of bench/ingest: the same request shape (events and distinct profiles
// per request) and the same 16 keep-alive clients sending back to back (closed loop), for
// longer than the benchmark's 10 s so the archive flushes (every ARCHIVE_FLUSH_SECONDS)
// fall inside it. `--rate N` instead sends N events/s open loop, whatever the answers do,
// with a bound on requests in flight (a request over it is shed and counted).
// Afterwards it counts server-side — each profile's event count and the R2 archive — and
// fails unless errors and loss are both zero. Every non-200 answer or broken connection
// is an error, except wrangler's dev-proxy 503 (below), which is resent and counted.
// `--burst N` is the burst case instead: N brand-new visitors (one event, one new profile
// each; bench/burst's shape), sent by 8 clients that behave as the SDKs do — a 429/503 is
// the server shedding load and is resent after its Retry-After (counted); a connection the
// server resets is resent too, as the SDKs resend a network error (counted apart: see the
// README's "Memory and bursts"); any other non-200 or a hang is an error.
//   node bench/reliability-load.mjs [--seconds 60] [--batch 100] [--profiles 10] [--users 1000]
//        [--concurrency 16] [--rate N --max-in-flight 64] [--flush-seconds 30] [--burst N]
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { option } from "../scripts/lib/local.mjs";
import { startLocalWorker } from "../scripts/lib/worker.mjs";
import { adminGet, fmt, inBatches, newVisitors, percentile, request, sendUntilAcknowledged, sleep, table } from "./lib.mjs";

const argv = process.argv.slice(2);
const seconds = Number(option(argv, "seconds", "60"));
// The default shape is bench/ingest's SDK-shaped row: 100 events spanning 10 profiles.
const batch = Number(option(argv, "batch", "100"));
const profilesPerRequest = Math.min(batch, Number(option(argv, "profiles", "10")));
const userCount = Number(option(argv, "users", "1000"));
const concurrency = Number(option(argv, "concurrency", option(argv, "burst", "") ? "8" : "16"));
const rateOption = option(argv, "rate", "");
const openLoop = rateOption !== "";
const rate = Number(rateOption);
const maxInFlight = Number(option(argv, "max-in-flight", "64"));
const burst = Number(option(argv, "burst", "0"));
// The archive flush delay as deployed (wrangler.toml): a shorter one multiplies R2 writes.
const FLUSH_SECONDS = Number(option(argv, "flush-seconds", "30"));
const log = (msg) => process.stderr.write(`[reliability:load] ${msg}\n`);

/** bench/ingest's events/s for this shape, from its last run on this machine (if any). */
function benchmarkRate() {
  const file = "bench/results/ingest.json";
  if (!existsSync(file)) return undefined;
  const { results } = JSON.parse(readFileSync(file, "utf8"));
  return results.find((r) => r.label === "ingest" && r.size === batch && r.profiles === profilesPerRequest)?.eps;
}

const worker = await startLocalWorker({ quiet: process.env.BENCH_VERBOSE !== "1", vars: { ARCHIVE_FLUSH_SECONDS: String(FLUSH_SECONDS) } });
let exitCode = 0;
try {
  const { api_key } = await worker.createProject("load");
  const post = (events) =>
    request(`${worker.url}/batch`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ api_key, events }),
      timeoutMs: 30_000,
    });
  /** Reads for the server-side count (resent while the server sheds load or a connection breaks). */
  const read = async (path) => {
    const { status, body } = await adminGet(worker.url, worker.adminToken, path, { timeoutMs: 30_000 });
    if (status !== 200) throw new Error(`${path}: ${status} ${body.slice(0, 200)}`);
    return body;
  };
  const admin = async (path) => JSON.parse(await read(path));

  log(burst ? `worker up at ${worker.url}` : `worker up at ${worker.url}; creating ${userCount} profiles`);
  // Every profile exists before the clock starts (one "Warm Up" event each); a burst's are all new.
  for (let u = 0; u < (burst ? 0 : userCount); u += 500) {
    const events = Array.from({ length: Math.min(500, userCount - u) }, (_, i) => ({
      user_id: `load-user-${u + i}`,
      event_type: "Warm Up",
      insert_id: `warm-${u + i}`,
    }));
    const res = await post(events);
    if (res.status !== 200) throw new Error(`warm-up failed: ${res.status} ${res.body}`);
  }

  const latencies = [];
  let seq = 0;
  let cursor = 0;
  let sentEvents = 0;
  let ackedEvents = 0;
  let requestsSent = 0;
  let errors = 0;
  let shed = 0;
  let shedAnswers = 0; // the burst's 429/503s, resent after Retry-After
  let connectionResets = 0; // the burst's connections reset by the server, resent
  let firstError;
  /** The next request's events: `batch` events spread over `profilesPerRequest` profiles of the pool. */
  const nextBatch = () => {
    const first = cursor;
    cursor = (cursor + profilesPerRequest) % userCount;
    return Array.from({ length: batch }, () => {
      const n = seq++;
      return {
        user_id: `load-user-${(first + (n % profilesPerRequest)) % userCount}`,
        event_type: "Load",
        insert_id: `load-${n}`,
        time: Date.now(),
        event_properties: { n },
      };
    });
  };
  // wrangler's local dev proxy (not the Worker) sometimes answers a POST with this 503
  // although nothing restarted (workers-sdk#14641); the request never reached the Worker.
  // It is resent, as SDKs resend a 503 (insert_id makes that safe), and counted apart.
  const PROXY_RESTART = "Your worker restarted mid-request";
  let proxyResent = 0;
  /** Sends one request; a non-200 (or an Amplitude body without code 200) is an error. */
  const sendOnce = async () => {
    const events = nextBatch();
    sentEvents += events.length;
    requestsSent++;
    const started = performance.now();
    let error;
    for (let attempt = 1; attempt <= 3; attempt++) {
      error = undefined;
      try {
        const res = await post(events);
        let code;
        try {
          code = JSON.parse(res.body).code;
        } catch {
          code = undefined;
        }
        if (res.status !== 200 || code !== 200) error = `${res.status} ${res.body.slice(0, 200)}`;
        if (res.status === 503 && res.body.includes(PROXY_RESTART) && attempt < 3) {
          proxyResent++;
          continue;
        }
      } catch (err) {
        error = String(err);
      }
      break;
    }
    if (error === undefined) {
      ackedEvents += events.length;
      latencies.push(performance.now() - started);
    } else {
      errors++;
      firstError ??= error;
    }
  };

  /** The burst case: the next `batch` new visitors, resent as an SDK does until acknowledged. */
  const sendNewVisitors = async (first) => {
    const events = newVisitors(first, Math.min(batch, burst - first));
    sentEvents += events.length;
    requestsSent++;
    let failed = false;
    const { res, ms } = await sendUntilAcknowledged(`${worker.url}/2/httpapi`, JSON.stringify({ api_key, events }), {
      onAnswer: (answer) => {
        if (answer.status === 200) return;
        if (answer.status === 429 || answer.status === 503) shedAnswers++;
        else if (answer.status === "connection error") connectionResets++;
        else {
          failed = true;
          firstError ??= `${answer.status} ${answer.body.slice(0, 200)}`;
        }
      },
    });
    if (failed) errors++;
    if (res.status === 200) {
      ackedEvents += events.length;
      latencies.push(ms);
    }
  };

  const t0 = performance.now();
  if (burst) {
    log(`sending ${burst} new visitors from ${concurrency} clients`);
    await inBatches({ total: burst, batch, concurrency, send: sendNewVisitors });
  } else if (openLoop) {
    // Open loop: a request every batch/rate seconds, whatever the answers do.
    log(`driving ${rate} events/s open loop for ${seconds}s`);
    const interval = (batch / rate) * 1000;
    const pending = new Set();
    const total = Math.round((seconds * 1000) / interval);
    for (let i = 0; i < total; i++) {
      const wait = t0 + i * interval - performance.now();
      if (wait > 0) await sleep(wait);
      if (pending.size >= maxInFlight) {
        shed++;
        continue;
      }
      const p = sendOnce().finally(() => pending.delete(p));
      pending.add(p);
    }
    await Promise.all(pending);
  } else {
    // Closed loop, as bench/ingest: each client sends its next request when the last is answered.
    log(`driving ${concurrency} clients back to back for ${seconds}s`);
    const deadline = t0 + seconds * 1000;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < deadline) await sendOnce();
      }),
    );
  }
  const elapsed = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);

  log(`done: ${ackedEvents} acknowledged, ${errors} errors, ${shed} shed; counting server-side`);
  // Server-side counts: every profile's stored events, then the archive once flushed.
  let stored = 0;
  const profileCount = burst || userCount;
  for (let u = 0; u < profileCount; u += 16) {
    const profiles = await Promise.all(
      Array.from({ length: Math.min(16, profileCount - u) }, (_, i) =>
        admin(burst ? `/projects/load/users?device_id=burst-device-${u + i}&events=0` : `/projects/load/users?user_id=load-user-${u + i}&events=0`),
      ),
    );
    for (const p of profiles) stored += burst ? p.profile.event_count : p.profile.event_count - 1; // minus the warm-up event
    if (u % 1000 === 0) log(`counted ${u + profiles.length} profiles`);
  }
  log(`profiles hold ${stored}; waiting for the archive flush`);
  await sleep((FLUSH_SECONDS + 3) * 1000);
  const archivedIds = new Map();
  let objects = 0;
  for (let attempt = 0; attempt < 20; attempt++) {
    archivedIds.clear();
    objects = 0;
    let next = null;
    do {
      const page = await admin(`/projects/load/archive${next ? `?cursor=${encodeURIComponent(next)}` : ""}`);
      objects += page.objects.length;
      for (let i = 0; i < page.objects.length; i += 32) {
        const bodies = await Promise.all(page.objects.slice(i, i + 32).map((o) => read(`/projects/load/archive/object?key=${encodeURIComponent(o.key)}`)));
        for (const b of bodies) {
          for (const line of b.split("\n")) {
            if (line.trim() === "") continue;
            const e = JSON.parse(line);
            if (e.event_type === (burst ? "Page Viewed" : "Load")) archivedIds.set(e.insert_id, (archivedIds.get(e.insert_id) ?? 0) + 1);
          }
        }
      }
      next = page.cursor;
    } while (next !== null);
    log(`archive: ${archivedIds.size} events in ${objects} objects`);
    if (archivedIds.size >= ackedEvents) break;
    await sleep(2000);
  }
  const archived = archivedIds.size;
  const archivedTwice = [...archivedIds.values()].filter((n) => n > 1).length;
  const lost = ackedEvents - Math.min(stored, archived);

  const achieved = ackedEvents / elapsed;
  const bench = benchmarkRate();
  const rows = [
    ["duration s", fmt(elapsed, 1)],
    [
      "load",
      burst
        ? `burst of new visitors, ${concurrency} clients resending 429/503 after Retry-After`
        : openLoop
          ? `open loop, ${fmt(rate)} events/s, ≤${maxInFlight} in flight`
          : `closed loop, ${concurrency} clients (as bench/ingest)`,
    ],
    ["events/request · profiles/request", burst ? `${batch} · ${batch} (all new)` : `${batch} · ${profilesPerRequest}`],
    ["profiles", fmt(profileCount)],
    ["requests sent", fmt(requestsSent)],
    ...(openLoop ? [["requests shed (in-flight bound)", fmt(shed)]] : []),
    ["events sent", fmt(sentEvents)],
    ["events acknowledged (200)", fmt(ackedEvents)],
    ["achieved events/s", fmt(achieved)],
    burst
      ? ["new profiles/s", fmt(achieved)]
      : [
          "bench/ingest events/s, same shape (10 s, bench/results/ingest.json)",
          bench === undefined ? "– (run npm run bench:ingest)" : `${fmt(bench)} (achieved ÷ bench ${fmt(achieved / bench, 2)})`,
        ],
    ...(burst
      ? [
          ["429/503 with Retry-After (load shed), resent", fmt(shedAnswers)],
          ["connections reset by the server, resent", fmt(connectionResets)],
        ]
      : [["503s from wrangler's dev proxy, resent (workers-sdk#14641)", fmt(proxyResent)]]),
    [burst ? "errors (requests that met any other non-200 or a hang)" : "errors (any other non-200 or broken connection, nothing resent)", fmt(errors)],
    ["p50 / p99 ms", `${fmt(percentile(latencies, 0.5), 1)} / ${fmt(percentile(latencies, 0.99), 1)}`],
    ["stored in profiles (server count)", fmt(stored)],
    ["in the R2 archive", `${fmt(archived)} (${fmt(objects)} objects)`],
    ["archived twice", fmt(archivedTwice)],
    ["lost (acknowledged, not stored or not archived)", fmt(lost)],
  ];
  console.log(
    `\nreliability:load — ${cpus().length} cores, the local server (workerd via Miniflare, as npm start) with local state, ${burst ? "/2/httpapi" : "/batch"}\n`,
  );
  console.log(table(["measure", "value"], rows));
  if (firstError) console.log(`first error: ${firstError}`);
  mkdirSync("bench/results", { recursive: true });
  writeFileSync(
    burst ? "bench/results/reliability-burst.json" : "bench/results/reliability-load.json",
    JSON.stringify(
      {
        date: new Date().toISOString(),
        burst,
        shedAnswers,
        connectionResets,
        seconds,
        openLoop,
        rate: openLoop ? rate : null,
        concurrency,
        batch,
        profilesPerRequest,
        userCount,
        elapsed,
        sentEvents,
        ackedEvents,
        achieved,
        bench: bench ?? null,
        errors,
        proxyResent,
        shed,
        stored,
        archived,
        archivedTwice,
        lost,
        p50: percentile(latencies, 0.5),
        p99: percentile(latencies, 0.99),
      },
      null,
      2,
    ),
  );
  const ok = errors === 0 && shed === 0 && lost === 0 && stored === ackedEvents && archived === ackedEvents && archivedTwice === 0;
  console.log(ok ? "\nOK: zero errors, zero loss" : "\nFAILED: errors or loss (see above)");
  if (!ok) exitCode = 1;
} finally {
  await worker.stop();
}
process.exit(exitCode);
