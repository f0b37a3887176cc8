// bench/cohorts: cost per event of the incremental segmentation engine with 10, 100 and
// 1,000 definitions, next to recomputing every definition from the profile's history
// (the rescan a non-incremental system does), in one run. Pure engine, in Node.
//   npx tsx bench/cohorts.ts  (npm run bench:cohorts)
import { performance } from "node:perf_hooks";
import type { TailorEvent } from "../src/core/event";
import { compileDefinitions, type DefinitionSet } from "../src/core/segments/compile";
import { emptySnapshot, SegmentEngine } from "../src/core/segments/engine";
import { evaluateReference } from "../src/core/segments/reference";
import { cohortDefinitionSchema, computationSchema } from "../src/core/segments/schema";
import { fmt, table } from "./lib.mjs";

const TYPES = Array.from({ length: 40 }, (_, i) => `Event ${i}`);
const HISTORY = 200; // events already in the profile when the measured events arrive
const MEASURED = 2_000;
const MIN = 60_000;

function definitionsOf(n: number): DefinitionSet {
  const set: DefinitionSet = { version: "bench", computations: [], cohorts: [] };
  for (let i = 0; i < n; i++) {
    const type = TYPES[i % TYPES.length]!;
    // Mostly distinct windows and thresholds, so definitions rarely share a stream.
    const window = i % 4 === 0 ? { kind: "all" } : { kind: "rolling", duration: { hours: 1 + (i % 720) } };
    if (i % 2 === 0) {
      const aggregate = ["count", "sum", "max", "last", "distinct_count"][i % 5];
      set.computations.push({ id: `c${i}`, definition: computationSchema.parse({ event: { type }, aggregate, property: "price", window }) });
    } else {
      const match =
        i % 3 === 0
          ? {
              all: [
                { performed: { event: { type }, op: ">=", value: 2, window } },
                { not: { performed: { event: { type: TYPES[(i + 1) % TYPES.length] }, window } } },
              ],
            }
          : {
              performed: { event: { type, filters: [{ property: "price", op: "gt", value: i % 29 }] }, measure: { sum: "price" }, op: ">=", value: 50, window },
            };
      set.cohorts.push({ id: `k${i}`, definition: cohortDefinitionSchema.parse({ type: "behavioral", match }) });
    }
  }
  return set;
}

function eventsOf(count: number, start: number): TailorEvent[] {
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: count }, (_, i) => ({
    uuid: `e${i}`,
    event_type: TYPES[Math.floor(rand() * TYPES.length)]!,
    time: start + i * 5 * MIN,
    received_at: start + i * 5 * MIN,
    event_properties: { price: Math.round(rand() * 3000) / 100, sku: `sku-${Math.floor(rand() * 50)}` },
    user_properties: {},
  }));
}

const rows: string[][] = [];
const results = [];
for (const n of [10, 100, 1000]) {
  const set = definitionsOf(n);
  const compiled = compileDefinitions(set);
  const all = eventsOf(HISTORY + MEASURED, Date.UTC(2026, 0, 1));
  const engine = new SegmentEngine(compiled, emptySnapshot());
  engine.evaluateAll(all[0]!.time, {});
  engine.ingest(all.slice(0, HISTORY), all[HISTORY - 1]!.time, {}, false);
  const measured = all.slice(HISTORY);
  // Warm up the JIT on a copy, then measure one event per call (the DO's hot path).
  const warm = new SegmentEngine(compiled, emptySnapshot());
  for (const e of measured.slice(0, 200)) warm.ingest([e], e.time, {}, false);
  const t0 = performance.now();
  for (const e of measured) engine.ingest([e], e.time, {}, false);
  const incremental = ((performance.now() - t0) * 1000) / measured.length;

  // Rescan: on each new event, recompute every definition over the history so far.
  const sample = measured.slice(0, Math.max(20, Math.floor(40_000 / n)));
  const t1 = performance.now();
  sample.forEach((e, i) => {
    evaluateReference(set, all.slice(0, HISTORY + i + 1), {}, e.time);
  });
  const rescan = ((performance.now() - t1) * 1000) / sample.length;
  results.push({ definitions: n, streams: compiled.streams.length, incrementalUs: incremental, rescanUs: rescan });
  rows.push([String(n), String(compiled.streams.length), fmt(incremental, 1), fmt(rescan, 0), fmt(rescan / incremental, 0)]);
}
console.log(`\nbench/cohorts — Node ${process.version}, one event per call, profile history ${HISTORY}+ events, ${TYPES.length} event types\n`);
console.log(table(["definitions", "streams", "incremental µs/event", "rescan µs/event", "rescan ÷ incremental"], rows));
console.log(JSON.stringify(results));
