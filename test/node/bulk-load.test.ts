import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_DATA, invoices, lastTime, loadRetail } from "../../scripts/lib/retail-load";
import { invoiceEvents } from "../../src/core/retail/events";
import { startLocalWorker, type LocalWorker } from "../../scripts/lib/worker.mjs";

// A historical import (npm run load -- --bulk: each customer's whole history at once) ends
// where a chronological load of the same events (in time order across customers, as a
// live site sends them) ends: same profiles, properties, cohort memberships and computed
// values, same cohort sizes in the index. Both into one real local server, one project each.
const ROWS = 6_000;
let worker: LocalWorker;
const keys: Record<string, string> = {};
const ids: Record<string, Record<string, string>> = {};

const DEFINITIONS = {
  cohorts: {
    "Three orders or more": { type: "behavioral", match: { performed: { event: { type: "Order Completed" }, op: ">=", value: 3 } } },
    "Ordered in the last 30 days": {
      type: "behavioral",
      match: { performed: { event: { type: "Order Completed" }, window: { kind: "rolling", duration: { days: 30 } } } },
    },
    "Returned something, never twice the same week": {
      type: "behavioral",
      match: {
        all: [
          { performed: { event: { type: "Product Returned" } } },
          { not: { performed: { event: { type: "Product Returned" }, op: ">=", value: 2, window: { kind: "rolling", duration: { days: 7 } } } } },
        ],
      },
    },
  },
  computations: {
    "Lifetime revenue": { event: { type: "Order Completed" }, aggregate: "sum", property: "revenue" },
    "Distinct products": { event: { type: "Product Purchased" }, aggregate: "distinct_count", property: "product_id" },
    "Last country": { event: { type: "Order Completed" }, aggregate: "last", property: "country" },
  },
} as const;

beforeAll(async () => {
  worker = await startLocalWorker();
  for (const project of ["chrono", "bulk"]) {
    keys[project] = (await worker.createProject(project)).api_key;
    ids[project] = {};
    for (const [kind, defs] of Object.entries(DEFINITIONS)) {
      for (const [name, definition] of Object.entries(defs)) {
        const res = await worker.admin<{ id: string }>("POST", `/projects/${project}/${kind}`, { name, definition });
        expect(res.status, JSON.stringify(res.json)).toBe(201);
        ids[project]![res.json.id] = name;
      }
    }
  }
}, 120_000);
afterAll(() => worker?.stop());

type Lookup = {
  profile: { event_count: number; user_properties: Record<string, unknown> };
  segments: { cohort_ids: string[]; computations: Record<string, unknown> };
};

/** A customer as its project shows it, with definitions named (the two projects' ids differ). */
async function customer(project: string, userId: string) {
  const res = await worker.admin<Lookup>("GET", `/projects/${project}/users?user_id=${encodeURIComponent(userId)}&events=0`);
  expect(res.status).toBe(200);
  const name = (id: string) => ids[project]![id] ?? id;
  return {
    events: res.json.profile.event_count,
    properties: res.json.profile.user_properties,
    cohorts: res.json.segments.cohort_ids.map(name).sort(),
    computations: Object.fromEntries(Object.entries(res.json.segments.computations).map(([id, v]) => [name(id), v])),
  };
}

describe("a historical import", () => {
  it("ends with the same profiles, memberships, values and cohort sizes as a chronological load of the same events", async () => {
    const shiftMs = Date.now() - (await lastTime(DEFAULT_DATA, ROWS));
    const chrono = await loadRetail({ file: DEFAULT_DATA, url: worker.url, apiKey: keys.chrono!, limit: ROWS, shiftMs, concurrency: 4 });
    const bulk = await loadRetail({ file: DEFAULT_DATA, url: worker.url, apiKey: keys.bulk!, limit: ROWS, shiftMs, bulk: true, concurrency: 8 });
    expect(bulk.sent).toBe(chrono.sent);
    expect(bulk.customers).toBe(chrono.customers);
    expect(bulk.customers).toBeGreaterThan(100);

    const customers = new Set<string>();
    for await (const lines of invoices(DEFAULT_DATA, ROWS)) for (const e of invoiceEvents(lines)) customers.add(e.user_id);
    const userIds = [...customers];
    expect(userIds.length).toBe(chrono.customers);
    let members = 0;
    for (const id of userIds) {
      const [a, b] = [await customer("chrono", id), await customer("bulk", id)];
      expect(b, id).toEqual(a);
      members += a.cohorts.length;
    }
    expect(members).toBeGreaterThan(50); // the comparison covers memberships, not only empty lists

    // The membership index (sizes, the Cohort API, syncs) agrees too, once the profiles have written it.
    const sizes = async (project: string) => {
      const list = await worker.admin<{ cohorts: { id: string; size: number }[] }>("GET", `/projects/${project}/cohorts`);
      return Object.fromEntries(list.json.cohorts.map((c) => [ids[project]![c.id], c.size]));
    };
    let [a, b] = [await sizes("chrono"), await sizes("bulk")];
    for (let i = 0; i < 60 && JSON.stringify(a) !== JSON.stringify(b); i++, await new Promise((r) => setTimeout(r, 500)))
      [a, b] = [await sizes("chrono"), await sizes("bulk")];
    expect(b).toEqual(a);
  }, 240_000);
});
