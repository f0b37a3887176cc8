// reliability:load — a fixed-duration, fixed-rate (open-loop) ingestion run against a
// throwaway `wrangler dev`, at a sustainable rate from bench/ingest's worst case (100
// events from 100 different profiles per request), with a bound on requests in flight.
// Afterwards it counts server-side — each profile's event count and the R2 archive —
// and reports errors and loss, which must both be zero.
// A 503 or a broken connection is resent (as every Amplitude SDK does; insert_id makes it
// safe) up to 5 times and counted; only a request that still fails is an error.
//   node bench/reliability-load.mjs [--seconds 30] [--rate 500] [--batch 100] [--users 1000] [--max-in-flight 64] [--flush-seconds 30]
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { option } from "../scripts/lib/local.mjs";
import { startLocalWorker } from "../scripts/lib/worker.mjs";
import { fmt, percentile, request, sleep, table } from "./lib.mjs";

const argv = process.argv.slice(2);
const seconds = Number(option(argv, "seconds", "30"));
// events/s: a quarter of bench/ingest's worst case (~1.9k events/s, 100 profiles per request),
// leaving room for other work on the machine.
const rate = Number(option(argv, "rate", "500"));
const batch = Number(option(argv, "batch", "100"));
const userCount = Number(option(argv, "users", "1000"));
const maxInFlight = Number(option(argv, "max-in-flight", "64"));
// The archive flush delay as deployed (wrangler.toml): a shorter one multiplies R2 writes.
const FLUSH_SECONDS = Number(option(argv, "flush-seconds", "30"));
const log = (msg) => process.stderr.write(`[reliability:load] ${msg}\n`);

const worker = await startLocalWorker({ quiet: process.env.BENCH_VERBOSE !== "1", vars: { ARCHIVE_FLUSH_SECONDS: String(FLUSH_SECONDS) } });
let exitCode = 0;
try {
  const { api_key } = await worker.createProject("load");
  const post = (events) =>
    request(`${worker.url}/batch`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ api_key, events }), timeoutMs: 30_000 });
  /** Reads for the server-side count: fresh connections, bounded, retried (a read is safe to repeat). */
  const read = async (path) => {
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await fetch(`${worker.url}/admin/api${path}`, { headers: { authorization: `Bearer ${worker.adminToken}` }, signal: AbortSignal.timeout(30_000) });
        const text = await res.text();
        if (res.status === 200) return text;
        if (attempt === 3) throw new Error(`${path}: ${res.status} ${text.slice(0, 200)}`);
      } catch (err) {
        if (attempt === 3) throw err;
      }
      await sleep(500);
    }
  };
  const admin = async (path) => JSON.parse(await read(path));

  log(`worker up at ${worker.url}; creating ${userCount} profiles`);
  // Every profile exists before the clock starts (one "Warm Up" event each).
  for (let u = 0; u < userCount; u += 500) {
    const events = Array.from({ length: Math.min(500, userCount - u) }, (_, i) => ({ user_id: `load-user-${u + i}`, event_type: "Warm Up", insert_id: `warm-${u + i}` }));
    const res = await post(events);
    if (res.status !== 200) throw new Error(`warm-up failed: ${res.status} ${res.body}`);
  }

  // Open loop: a request every batch/rate seconds, whatever the answers do; a request
  // that would exceed the in-flight bound is not sent and counted as shed.
  log(`driving ${rate} events/s for ${seconds}s`);
  const interval = (batch / rate) * 1000;
  const latencies = [];
  let seq = 0;
  let cursor = 0;
  let inFlight = 0;
  let sentEvents = 0;
  let ackedEvents = 0;
  let errors = 0;
  let shed = 0;
  let retries = 0;
  /** Sends, resending on 503 or a broken connection; answers the last outcome. */
  const send = async (events) => {
    for (let attempt = 1; ; attempt++) {
      let outcome;
      try {
        const res = await post(events);
        let code;
        try {
          code = JSON.parse(res.body).code;
        } catch {
          code = undefined;
        }
        outcome = { ok: res.status === 200 && code === 200, retryable: res.status === 503, error: `${res.status} ${res.body.slice(0, 200)}` };
      } catch (err) {
        outcome = { ok: false, retryable: true, error: String(err) };
      }
      if (outcome.ok || !outcome.retryable || attempt === 5) return outcome;
      retries++;
      firstRetried ??= outcome.error;
      await sleep(100 * attempt);
    }
  };
  let firstRetried;
  let firstError;
  const pending = new Set();
  const t0 = performance.now();
  const total = Math.round((seconds * 1000) / interval);
  for (let i = 0; i < total; i++) {
    const due = t0 + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    if (inFlight >= maxInFlight) {
      shed++;
      continue;
    }
    const events = [];
    for (let k = 0; k < batch; k++) {
      const n = seq++;
      events.push({ user_id: `load-user-${(cursor + k) % userCount}`, event_type: "Load", insert_id: `load-${n}`, time: Date.now(), event_properties: { n } });
    }
    cursor = (cursor + batch) % userCount;
    sentEvents += events.length;
    inFlight++;
    const started = performance.now();
    const p = send(events)
      .then((outcome) => {
        if (outcome.ok) {
          ackedEvents += events.length;
          latencies.push(performance.now() - started);
        } else {
          errors++;
          firstError ??= outcome.error;
        }
      })
      .finally(() => {
        inFlight--;
        pending.delete(p);
      });
    pending.add(p);
  }
  await Promise.all(pending);
  const elapsed = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);

  log(`done: ${ackedEvents} acknowledged, ${errors} errors, ${retries} resent, ${shed} shed; counting server-side`);
  // Server-side counts: every profile's stored events, then the archive once flushed.
  let stored = 0;
  for (let u = 0; u < userCount; u += 16) {
    const profiles = await Promise.all(
      Array.from({ length: Math.min(16, userCount - u) }, (_, i) => admin(`/projects/load/users?user_id=load-user-${u + i}&events=0`)),
    );
    for (const p of profiles) stored += p.profile.event_count - 1; // minus the warm-up event
    if (u % 200 === 0) log(`counted ${u + profiles.length} profiles`);
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
      const page = await admin(`/archive?project=load${next ? `&cursor=${encodeURIComponent(next)}` : ""}`);
      objects += page.objects.length;
      for (let i = 0; i < page.objects.length; i += 32) {
        const bodies = await Promise.all(page.objects.slice(i, i + 32).map((o) => read(`/archive/object?project=load&key=${encodeURIComponent(o.key)}`)));
        for (const b of bodies) {
          for (const line of b.split("\n")) {
            if (line.trim() === "") continue;
            const e = JSON.parse(line);
            if (e.event_type === "Load") archivedIds.set(e.insert_id, (archivedIds.get(e.insert_id) ?? 0) + 1);
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

  const rows = [
    ["duration s", fmt(elapsed, 1)],
    ["target events/s", fmt(rate)],
    ["events/request · profiles/request", `${batch} · ${Math.min(batch, userCount)}`],
    ["profiles", fmt(userCount)],
    ["requests sent", fmt(sentEvents / batch)],
    ["requests shed (in-flight bound)", fmt(shed)],
    ["events sent", fmt(sentEvents)],
    ["events acknowledged (200)", fmt(ackedEvents)],
    ["achieved events/s", fmt(ackedEvents / elapsed)],
    ["requests resent after a 503 or broken connection", fmt(retries)],
    ["errors (still failing after 5 attempts)", fmt(errors)],
    ["p50 / p99 ms", `${fmt(percentile(latencies, 0.5), 1)} / ${fmt(percentile(latencies, 0.99), 1)}`],
    ["stored in profiles (server count)", fmt(stored)],
    ["in the R2 archive", `${fmt(archived)} (${fmt(objects)} objects)`],
    ["archived twice", fmt(archivedTwice)],
    ["lost (acknowledged, not stored or not archived)", fmt(lost)],
  ];
  console.log(`\nreliability:load — ${cpus().length} cores, wrangler dev (workerd) with local state, /batch, open loop, ≤${maxInFlight} requests in flight\n`);
  console.log(table(["measure", "value"], rows));
  if (firstRetried) console.log(`first resent: ${firstRetried}`);
  if (firstError) console.log(`first error: ${firstError}`);
  mkdirSync("bench/results", { recursive: true });
  writeFileSync(
    "bench/results/reliability-load.json",
    JSON.stringify({ date: new Date().toISOString(), seconds, rate, batch, userCount, maxInFlight, elapsed, sentEvents, ackedEvents, errors, retries, shed, stored, archived, archivedTwice, lost, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) }, null, 2),
  );
  const ok = errors === 0 && shed === 0 && lost === 0 && stored === ackedEvents && archived === ackedEvents && archivedTwice === 0;
  console.log(ok ? "\nOK: zero errors, zero loss" : "\nFAILED: errors or loss (see above)");
  if (!ok) exitCode = 1;
} finally {
  await worker.stop();
}
process.exit(exitCode);
