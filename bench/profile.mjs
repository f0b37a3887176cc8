// bench/profile: the read path under load — a trivial route, /v1/userprofile on a
// project with 20 cohorts and 10 computed properties (asking for properties, cohorts
// and computations), and /v1/personalize — in one run on one local server (workerd via
// Miniflare, as npm start), against the runtime's own limit: bare `workerd serve` running
// a trivial Worker, measured in the same run with the same client.
// Latency is measured with one client (unloaded), throughput with --concurrency clients.
//   node bench/profile.mjs [--seconds 10] [--concurrency 8] [--users 200]
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { adminCall, option } from "../scripts/lib/local.mjs";
import { startLocalWorker } from "../scripts/lib/worker.mjs";
import { drive, fmt, startBareWorkerd, table } from "./lib.mjs";

const argv = process.argv.slice(2);
const seconds = Number(option(argv, "seconds", "10"));
const concurrency = Number(option(argv, "concurrency", "8"));
const userCount = Number(option(argv, "users", "200"));

const worker = await startLocalWorker({ quiet: process.env.BENCH_VERBOSE !== "1" });
const bare = await startBareWorkerd();
try {
  // The same project twice: the read APIs' per-project limit (PROFILE_RATE_LIMITER, 120,000
  // a minute) would otherwise cut the last case short.
  const setUp = async (project) => {
    const { api_key, secret_key } = await worker.createProject(project);
    const define = async (kind, name, definition) =>
      (await adminCall(worker.url, worker.adminToken, "POST", `/projects/${project}/${kind}`, { name, definition })).json.id;
    const types = ["Product Viewed", "Product Added", "Order Completed", "Search", "Page Viewed"];
    const computations = [];
    for (let i = 0; i < 10; i++) {
      const aggregate = ["count", "sum", "last", "distinct_count", "max"][i % 5];
      computations.push(
        await define("computations", `c${i}`, {
          event: { type: types[i % 5] },
          aggregate,
          property: "price",
          window: i < 5 ? { kind: "all" } : { kind: "rolling", duration: { days: 7 + i } },
        }),
      );
    }
    const cohorts = [];
    for (let i = 0; i < 20; i++) {
      cohorts.push(
        await define("cohorts", `k${i}`, {
          type: "behavioral",
          match:
            i % 2 === 0
              ? { performed: { event: { type: types[i % 5] }, op: ">=", value: 1 + (i % 3), window: { kind: "rolling", duration: { days: 1 + i } } } }
              : { all: [{ computation: { id: computations[i % 10], op: "gte", value: i } }, { user_property: { property: "plan", op: "eq", value: "pro" } }] },
        }),
      );
    }
    await adminCall(worker.url, worker.adminToken, "PUT", `/projects/${project}/settings`, {
      personalize: { cohorts: cohorts.slice(0, 5), computations: computations.slice(0, 3), origins: ["*"] },
    });
    // Profiles with some history each.
    const events = [];
    for (let u = 0; u < userCount; u++) {
      for (let j = 0; j < 10; j++) {
        events.push({
          user_id: `reader-${u}`,
          event_type: types[(u + j) % 5],
          event_properties: { price: (u * 7 + j) % 40 },
          user_properties: { plan: u % 2 ? "pro" : "free" },
        });
      }
    }
    for (let i = 0; i < events.length; i += 1000) {
      const res = await fetch(`${worker.url}/batch`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ api_key, events: events.slice(i, i + 1000) }),
      });
      if (!res.ok) throw new Error(`load failed: ${res.status} ${await res.text()}`);
    }
    return { api_key, secret_key };
  };
  const { secret_key } = await setUp("bench");
  const web = await setUp("bench-web");
  const api_key = web.api_key;

  let n = 0;
  const next = () => `reader-${n++ % userCount}`;
  const cases = {
    "bare workerd, trivial Worker": () => ({ url: bare.url }),
    "trivial GET /health": () => ({ url: `${worker.url}/health` }),
    "/v1/userprofile (props, cohorts, computations)": () => ({
      url: `${worker.url}/v1/userprofile?user_id=${next()}&get_amp_props=true&get_cohort_ids=true&get_computations=true`,
      init: { headers: { authorization: `Api-Key ${secret_key}` } },
    }),
    // Where the read's time goes: the same RPC to the profile, without segmentation.
    "/v1/userprofile (the profile alone)": () => ({
      url: `${worker.url}/v1/userprofile?user_id=${next()}`,
      init: { headers: { authorization: `Api-Key ${web.secret_key}` } },
    }),
    "/v1/personalize": () => ({
      url: `${worker.url}/v1/personalize?api_key=${api_key}&user_id=${next()}`,
      init: { headers: { origin: "https://shop.example" } },
    }),
  };
  // Warm every profile and isolate cache once.
  await drive({ seconds: 2, warmupSeconds: 0, concurrency: 4, makeRequest: cases["/v1/userprofile (props, cohorts, computations)"] });

  const results = {};
  for (const [name, makeRequest] of Object.entries(cases)) {
    const latency = await drive({ seconds: Math.max(3, seconds / 2), concurrency: 1, makeRequest });
    const load = await drive({ seconds, concurrency, makeRequest });
    results[name] = { latency, load };
  }
  const trivial = results["bare workerd, trivial Worker"].load.rps;
  const rows = Object.entries(results).map(([name, r]) => [
    name,
    fmt(r.latency.p50, 2),
    fmt(r.latency.p99, 2),
    fmt(r.load.rps),
    fmt(r.load.p50, 2),
    fmt(r.load.p99, 2),
    fmt(r.load.rps / trivial, 2),
    String(r.latency.errors + r.load.errors),
  ]);
  console.log(
    `\nbench/profile — ${cpus().length} cores, the local server (workerd via Miniflare, as npm start) with local state, ${userCount} profiles, 20 cohorts + 10 computations defined\n`,
  );
  console.log(
    table(
      [
        "case",
        "p50 ms (1 client)",
        "p99 ms (1 client)",
        `requests/s (${concurrency} clients)`,
        "p50 ms (loaded)",
        "p99 ms (loaded)",
        "throughput ÷ bare workerd",
        "errors",
      ],
      rows,
    ),
  );
  for (const r of Object.values(results)) for (const x of [r.latency, r.load]) if (x.firstError) console.log(`first error: ${x.firstError}`);
  mkdirSync("bench/results", { recursive: true });
  writeFileSync("bench/results/profile.json", JSON.stringify({ date: new Date().toISOString(), concurrency, seconds, results }, null, 2));
} finally {
  await worker.stop();
  await bare.stop();
}
