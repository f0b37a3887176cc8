// bench/ingest: events/second end to end (HTTP → Worker → user Durable Object → durable
// SQLite write → 200) at batch sizes 1, 100 and 1,000, next to the request rate of the
// runtime's own limit — bare `workerd serve` running a trivial Worker — and of Tailor's
// trivial route (GET /health), both measured in the same run with the same client.
// Events go to a pool of --users profiles whose Durable Objects are created before the
// clock starts (real traffic is mostly returning users). Each profile in a request costs
// one durable SQLite commit, so cases vary how many distinct profiles a batch spans:
// a browser SDK's batch is one user; a server's batch spans many. A last case measures
// first events of brand-new profiles, which pay for creating the object and its file.
//   node bench/ingest.mjs [--seconds 10] [--concurrency 16] [--users 1000]
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { LOCAL_VARS, option } from "../scripts/lib/local.mjs";
import { startLocalWorker } from "../scripts/lib/worker.mjs";
import { drive, fmt, startBareWorkerd, table } from "./lib.mjs";

const argv = process.argv.slice(2);
const seconds = Number(option(argv, "seconds", "10"));
const concurrency = Number(option(argv, "concurrency", "16"));
const userCount = Number(option(argv, "users", "1000"));
// [events per request, distinct profiles per request]
const CASES = [
  [1, 1],
  [100, 1],
  [100, 10],
  [100, 100],
  [1000, 10],
  [1000, 100],
];

const worker = await startLocalWorker({ quiet: process.env.BENCH_VERBOSE !== "1" });
const bare = await startBareWorkerd();
try {
  const { api_key } = await worker.createProject("bench");
  let seq = 0;
  let fresh = 0;
  let cursor = 0;
  const makeBatch = (size, profiles, newUsers = false) => {
    const first = cursor;
    cursor = (cursor + profiles) % userCount;
    const events = [];
    for (let i = 0; i < size; i++) {
      const n = seq++;
      events.push({
        user_id: newUsers ? `new-user-${fresh++}` : `bench-user-${(first + (i % profiles)) % userCount}`,
        event_type: n % 5 === 0 ? "Order Completed" : "Product Viewed",
        insert_id: `bench-${n}`,
        time: Date.now(),
        event_properties: { product_id: `p-${n % 500}`, price: (n % 50) + 0.99 },
      });
    }
    return JSON.stringify({ api_key, events });
  };

  const post =
    (size, profiles, newUsers = false) =>
    () => ({
      url: `${worker.url}/batch`,
      init: { method: "POST", headers: { "content-type": "application/json" }, body: makeBatch(size, profiles, newUsers) },
    });
  const runtime = await drive({ seconds, concurrency, makeRequest: () => ({ url: bare.url }) });
  const trivial = await drive({ seconds, concurrency, makeRequest: () => ({ url: `${worker.url}/health` }) });
  // Brand-new profiles first, while none is resident: the pool below fills the local
  // server's admission bound (MAX_ACTIVE_PROFILES per ACTIVE_PROFILE_SECONDS) by itself,
  // after which every new profile would be refused with 503 until the window ages out.
  const cold = await drive({ seconds, concurrency, makeRequest: post(1, 1, true) });
  await new Promise((r) => setTimeout(r, (Number(LOCAL_VARS.ACTIVE_PROFILE_SECONDS) + 1) * 1000));

  // Create every profile of the pool once, outside the measurement.
  for (let u = 0; u < userCount; u += 500) {
    const events = Array.from({ length: Math.min(500, userCount - u) }, (_, i) => ({ user_id: `bench-user-${u + i}`, event_type: "Warm Up" }));
    const res = await fetch(`${worker.url}/batch`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ api_key, events }),
    });
    if (!res.ok) throw new Error(`warm-up failed: ${res.status} ${await res.text()}`);
  }

  const results = [];
  for (const [size, profiles] of CASES) {
    // /batch: Amplitude's endpoint for bulk senders (1,000 events/s per user), so the
    // per-user throttle measures nothing here; /2/httpapi only differs in limits.
    const r = await drive({ seconds, concurrency, makeRequest: post(size, profiles) });
    results.push({ label: `ingest`, size, profiles, ...r, eps: r.rps * size });
  }
  results.push({ label: "ingest, each a new profile", size: 1, profiles: 1, ...cold, eps: cold.rps });

  const rows = [
    ["bare workerd, trivial Worker", "–", "–", fmt(runtime.rps), "–", fmt(runtime.p50, 2), fmt(runtime.p99, 2), "1.00", String(runtime.errors)],
    [
      "trivial GET /health",
      "–",
      "–",
      fmt(trivial.rps),
      "–",
      fmt(trivial.p50, 2),
      fmt(trivial.p99, 2),
      fmt(trivial.rps / runtime.rps, 2),
      String(trivial.errors),
    ],
    ...results.map((r) => [
      r.label,
      String(r.size),
      String(r.profiles),
      fmt(r.rps),
      fmt(r.eps),
      fmt(r.p50, 2),
      fmt(r.p99, 2),
      fmt(r.rps / runtime.rps, 2),
      String(r.errors),
    ]),
  ];
  const report = table(
    ["case", "events/request", "profiles/request", "requests/s", "events/s", "p50 ms", "p99 ms", "requests/s ÷ bare workerd", "errors"],
    rows,
  );
  console.log(
    `\nbench/ingest — ${cpus().length} cores, ${concurrency} concurrent clients, ${seconds}s per case, ${userCount} users, the local server (workerd via Miniflare, as npm start) with local state\n`,
  );
  console.log(report);
  for (const r of [runtime, trivial, ...results]) if (r.firstError) console.log(`first error: ${r.firstError}`);
  mkdirSync("bench/results", { recursive: true });
  writeFileSync(
    "bench/results/ingest.json",
    JSON.stringify({ date: new Date().toISOString(), seconds, concurrency, userCount, runtime, trivial, results }, null, 2),
  );
} finally {
  await worker.stop();
  await bare.stop();
}
