// bench/lift-server: the lift report through the running server, with the truth known.
// Synthetic visitors (new device ids) arrive in batches against a throwaway local server
// whose project holds half of them out as its global control group: each visitor's first
// page view is ingested, its personalization read through /v1/personalize (the exposure;
// the answer says whether it is in the control group), and it then orders with
// probability p in control and p + Δ otherwise. After every batch the report is read from
// GET /performance, as a marketer watching it would, and must count exactly what was sent.
//   node bench/lift-server.mjs [--users 20000] [--batch 1000] [--base 0.1] [--effects 0,0.03]
//        [--json bench/results/lift-server.json]
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { option } from "../scripts/lib/local.mjs";
import { startLocalWorker } from "../scripts/lib/worker.mjs";
import { adminGet, inBatches, request, sendUntilAcknowledged, sleep } from "./lib.mjs";

const argv = process.argv.slice(2);
const users = Number(option(argv, "users", "20000"));
const batch = Number(option(argv, "batch", "1000"));
const base = Number(option(argv, "base", "0.1"));
const effects = option(argv, "effects", "0,0.03").split(",").map(Number);
const jsonFile = option(argv, "json", "bench/results/lift-server.json");
const log = (msg) => process.stderr.write(`[bench:lift-server] ${msg}\n`);

/** A seeded uniform draw (Park–Miller): the same visitors convert on every run. */
function rng(seed) {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

async function readUntil200(url) {
  for (let n = 0; ; n++) {
    const res = await request(url, { timeoutMs: 60_000 }).catch(() => ({ status: 0 }));
    if (res.status === 200) return JSON.parse(res.body);
    await sleep(Math.min(5_000, 200 * 2 ** n));
  }
}

const worker = await startLocalWorker({ quiet: process.env.BENCH_VERBOSE !== "1" });
const results = [];
let exitCode = 0;
try {
  for (const [run, delta] of effects.entries()) {
    const project = `lift-${run}`;
    const { api_key } = await worker.createProject(project);
    await worker.admin("PUT", `/projects/${project}/settings`, {
      personalize: { origins: ["*"] },
      global_control: { percent: 50, goal: { event: { type: "Order Completed" } }, attribution_days: 7 },
    });
    const rand = rng(run + 7);
    const truth = { treatment: { users: 0, conversions: 0 }, control: { users: 0, conversions: 0 } };
    const looks = [];
    const started = performance.now();
    for (let first = 0; first < users; first += batch) {
      const ids = Array.from({ length: Math.min(batch, users - first) }, (_, i) => `lift-${run}-visitor-${first + i}`);
      const now = Date.now();
      await inBatches({
        total: ids.length,
        batch: 100,
        concurrency: 8,
        send: (i) =>
          sendUntilAcknowledged(
            `${worker.url}/2/httpapi`,
            JSON.stringify({
              api_key,
              events: ids.slice(i, i + 100).map((d) => ({ device_id: d, event_type: "Page Viewed", insert_id: `${d}-view`, time: now })),
            }),
          ),
      });
      const arms = new Array(ids.length);
      await inBatches({
        total: ids.length,
        batch: 1,
        concurrency: 8,
        send: async (i) => {
          const answer = await readUntil200(`${worker.url}/v1/personalize?api_key=${api_key}&device_id=${ids[i]}`);
          arms[i] = answer.global_control === true ? "control" : "treatment";
        },
      });
      const converters = ids.filter((_, i) => {
        truth[arms[i]].users++;
        const converts = rand() < base + (arms[i] === "treatment" ? delta : 0);
        if (converts) truth[arms[i]].conversions++;
        return converts;
      });
      const later = Date.now() + 1_000;
      await inBatches({
        total: converters.length,
        batch: 100,
        concurrency: 8,
        send: (i) =>
          sendUntilAcknowledged(
            `${worker.url}/2/httpapi`,
            JSON.stringify({
              api_key,
              events: converters
                .slice(i, i + 100)
                .map((d) => ({ device_id: d, event_type: "Order Completed", insert_id: `${d}-order`, time: later, event_properties: { revenue: 20 } })),
            }),
          ),
      });
      // The profiles write exposures and conversions to D1 as their due work runs: read until the report has caught up.
      let report;
      for (let wait = 0; wait < 120; wait++) {
        ({ report } = JSON.parse((await adminGet(worker.url, worker.adminToken, `/projects/${project}/performance`)).body));
        const caught = ["treatment", "control"].every((a) => report[a].users === truth[a].users && report[a].conversions === truth[a].conversions);
        if (caught) break;
        await sleep(1_000);
      }
      const exact = ["treatment", "control"].every((a) => report[a].users === truth[a].users && report[a].conversions === truth[a].conversions);
      looks.push({ users: first + ids.length, exact, absolute: report.absolute, sequential: report.sequential, p_value: report.p_value });
      log(
        `Δ=${delta}: ${first + ids.length} users, report ${exact ? "equals" : "DIFFERS FROM"} the truth; lift ${(report.absolute.estimate * 100).toFixed(2)} points, always-valid ${(report.sequential.low * 100).toFixed(2)} … ${(report.sequential.high * 100).toFixed(2)}, winner ${report.sequential.winner}`,
      );
      if (!exact) exitCode = 1;
    }
    const last = looks.at(-1);
    results.push({
      delta,
      base,
      users,
      seconds: (performance.now() - started) / 1000,
      truth,
      every_look_exact: looks.every((l) => l.exact),
      fixed_covers_delta: last.absolute.low <= delta && delta <= last.absolute.high,
      sequential_covers_delta_at_every_look: looks.every((l) => l.sequential.low <= delta && delta <= l.sequential.high),
      sequential_winner_at: looks.find((l) => l.sequential.winner !== null)?.users ?? null,
      peeking_significant_at: looks.find((l) => l.p_value < 0.05)?.users ?? null,
      final: last,
    });
  }
  mkdirSync(dirname(jsonFile), { recursive: true });
  writeFileSync(jsonFile, JSON.stringify(results, null, 2));
  console.log(
    JSON.stringify(
      results.map(({ final, ...r }) => r),
      null,
      2,
    ),
  );
} catch (err) {
  console.error(err);
  exitCode = 1;
} finally {
  await worker.stop();
}
process.exit(exitCode);
