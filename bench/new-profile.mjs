// bench/new-profile: where a brand-new profile's first event spends its time. The local
// server (as npm start) with the admission bound lifted for the run, so what limits the
// rate is the cost of creating profiles, not the bound; --profiles new visitors (one event
// each, one per request, --concurrency clients) are sent while workerd's V8 sampling
// profiler records, then its samples are summed by where they fall (self time by function,
// and the share under each of Tailor's own steps).
//   node --experimental-websocket bench/new-profile.mjs [--profiles 1500] [--concurrency 16] [--returning] [--batch 1] [--rounds 1] [--read]
// Keep --profiles under ~2,000: every profile stays resident ~10 s, and SQLite's 512 MiB
// process limit is reached near 2,400 resident profiles (README, "Memory and bursts").
import { createServer } from "node:net";
import { option } from "../scripts/lib/local.mjs";
import { startLocalWorker } from "../scripts/lib/worker.mjs";
import { fmt, request, sleep, table } from "./lib.mjs";

if (typeof WebSocket === "undefined") {
  console.error("Run with node --experimental-websocket (the inspector's protocol is a WebSocket).");
  process.exit(2);
}
const argv = process.argv.slice(2);
const profiles = Number(option(argv, "profiles", "1500"));
const concurrency = Number(option(argv, "concurrency", "16"));
/** --returning: the same profiles once more while still resident, for comparison (what is left is not creation). */
const returning = argv.includes("--returning");
/** --batch B: each measured request carries one event for each of B profiles (100: the worst ingest case); --rounds R: R events per profile. */
const batch = Number(option(argv, "batch", "1"));
const rounds = Number(option(argv, "rounds", "1"));
/** --read: the measured requests read the (resident) profiles through /v1/userprofile instead of writing. */
const reading = argv.includes("--read");

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

const inspectorPort = await freePort();
const worker = await startLocalWorker({ inspectorPort, vars: { MAX_ACTIVE_PROFILES: "100000" } });
try {
  const { api_key, secret_key } = await worker.createProject("bench");
  /** 0: the measured events are each profile's first; 1: its second (--returning). */
  let round = 0;
  const event = (id) => ({ device_id: `new-${id}`, event_type: "Page Viewed", insert_id: `new-${id}-${round}`, event_properties: { path: "/" } });
  /** Events for profiles first … first + count - 1, in one request. */
  const send = (first, count = 1) =>
    request(`${worker.url}/2/httpapi`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ api_key, events: Array.from({ length: count }, (_, i) => event(typeof first === "number" ? first + i : first)) }),
    });
  // Warm the isolate (definitions, keys, the first profile) before the clock starts.
  for (let i = 0; i < 20; i++) await send(`warm-${i}`);
  // With --returning the measured events go to profiles created just before (still resident).
  if (returning || reading) {
    let created = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (created < profiles) await send(created++);
      }),
    );
    round = 1;
  }
  await sleep(500);

  const targets = await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json();
  const target = targets.find((t) => /tailor|core:user/.test(t.title ?? "")) ?? targets[0];
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((r, j) => {
    ws.onopen = r;
    ws.onerror = j;
  });
  let nextId = 0;
  const pending = new Map();
  ws.onmessage = (m) => {
    const msg = JSON.parse(m.data);
    pending.get(msg.id)?.(msg.result);
    pending.delete(msg.id);
  };
  const call = (method, params = {}) =>
    new Promise((resolve) => {
      const id = ++nextId;
      pending.set(id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
  await call("Profiler.enable");
  await call("Profiler.setSamplingInterval", { interval: 200 });
  await call("Profiler.start");

  let failed = 0;
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) {
    if (r > 0) round++;
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < profiles) {
          const first = next;
          next += batch;
          const res = reading
            ? await request(`${worker.url}/v1/userprofile?device_id=new-${first}&get_amp_props=true`, { headers: { authorization: `Api-Key ${secret_key}` } })
            : await send(first, Math.min(batch, profiles - first));
          if (res.status !== 200) failed++;
        }
      }),
    );
  }
  const seconds = (performance.now() - t0) / 1000;
  const { profile } = await call("Profiler.stop");
  ws.close();

  // Self time per node, then summed by function; "under" sums whole subtrees of Tailor's steps.
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const hits = new Map();
  for (const s of profile.samples) hits.set(s, (hits.get(s) ?? 0) + 1);
  const total = profile.samples.length;
  // Anonymous functions by where they are in the bundle (url:line:column), to look them up.
  const name = (n) =>
    n.callFrame.functionName || `(anonymous ${n.callFrame.url.split("/").pop()}:${n.callFrame.lineNumber + 1}:${n.callFrame.columnNumber + 1})`;
  const self = new Map();
  for (const [id, count] of hits) {
    const key = name(byId.get(id));
    self.set(key, (self.get(key) ?? 0) + count);
  }
  const STEPS = [
    "ensureSchema",
    "migrate",
    "#ingest",
    "#open",
    "#identify",
    "#scheduleAfterWrite",
    "append",
    "claimInsertId",
    "#segmentsSaw",
    "deliver",
    "ingestRoute",
    "archive",
    "#run",
  ];
  const under = new Map(STEPS.map((s) => [s, 0]));
  for (const [id, count] of hits) {
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const fn = byId.get(cur).callFrame.functionName;
      if (under.has(fn) && !seen.has(fn)) {
        under.set(fn, under.get(fn) + count);
        seen.add(fn);
      }
    }
  }
  const pct = (n) => `${fmt((100 * n) / total, 1)} %`;
  console.log(
    `\nbench/new-profile — ${profiles} ${reading ? "read (resident)" : returning ? "returning (resident)" : "new"} profiles × ${rounds} round(s), ${batch} per request, ${concurrency} clients, admission bound lifted: ${fmt(seconds, 1)} s, **${fmt((rounds * profiles) / seconds)} profile-events/s** (${fmt((1000 * seconds) / (rounds * profiles), 2)} ms of the server each), ${failed} not 200\n`,
  );
  console.log("Self time (top 20):\n");
  console.log(
    table(
      ["function", "share of samples"],
      [...self]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 20)
        .map(([k, v]) => [k, pct(v)]),
    ),
  );
  console.log("\nUnder Tailor's steps (whole subtrees):\n");
  console.log(
    table(
      ["step", "share of samples"],
      [...under]
        .filter(([, v]) => v > 0)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => [k, pct(v)]),
    ),
  );
} finally {
  await worker.stop();
}
