import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { treeUsage } from "../../scripts/lib/process-usage.mjs";
import { startLocalWorker, type LocalWorker } from "../../scripts/lib/worker.mjs";

// An idle profile costs nothing: workerd drops its Durable Object (and closes its SQLite
// database) seconds after its last request. This checks on the real local server that
// idle profiles do leave memory, and that one evicted comes back from disk with its
// events, computed property and cohort flag intact, and goes on from them.
const USERS = 24;
let worker: LocalWorker;
let apiKey: string;
let countId: string;
let cohortId: string;
beforeAll(async () => {
  worker = await startLocalWorker();
  ({ api_key: apiKey } = await worker.createProject("evict"));
  const define = async (kind: string, body: unknown) => {
    const res = await worker.admin<{ id: string }>("POST", `/projects/evict/${kind}`, body);
    if (res.status !== 201 && res.status !== 200) throw new Error(`${kind}: ${res.status} ${JSON.stringify(res.json)}`);
    return res.json.id;
  };
  countId = await define("computations", { name: "Purchases", definition: { event: { type: "Purchase" }, aggregate: "count" } });
  cohortId = await define("cohorts", {
    name: "Repeat buyers",
    definition: { type: "behavioral", match: { performed: { event: { type: "Purchase" }, op: ">=", value: 2 } } },
  });
}, 120_000);
afterAll(() => worker?.stop());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** User u has bought (u % 3) + 1 times, plus `extra`. */
const purchases = (u: number, extra: number) => (u % 3) + 1 + extra;

async function send(events: object[]) {
  const res = await fetch(`${worker.url}/2/httpapi`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ api_key: apiKey, events }),
  });
  expect(res.status).toBe(200);
}
type Read = {
  profile: { event_count: number; user_id: string };
  segments: { cohort_ids: string[]; computations: Record<string, unknown> };
  events: { insert_id: string }[];
};
async function readAll() {
  const reads: Read[] = [];
  for (let u = 0; u < USERS; u++) {
    const res = await worker.admin<Read>("GET", `/projects/evict/users?user_id=buyer-${u}&events=100`);
    expect(res.status).toBe(200);
    reads.push(res.json);
  }
  return reads;
}
async function residentAfterIdle(timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let resident = treeUsage(worker.pid).profiles;
  while (resident > 0 && Date.now() < deadline) {
    await sleep(1000);
    resident = treeUsage(worker.pid).profiles;
  }
  return resident;
}

describe("idle profiles on the local server", () => {
  it("are evicted from memory and come back with their state intact", async () => {
    const events = [];
    for (let u = 0; u < USERS; u++) {
      for (let i = 0; i < purchases(u, 0); i++)
        events.push({ user_id: `buyer-${u}`, event_type: "Purchase", insert_id: `p-${u}-${i}`, event_properties: { price: 10 + i } });
    }
    await send(events);
    const before = await readAll();
    for (let u = 0; u < USERS; u++) {
      expect(before[u]!.profile.event_count).toBe(purchases(u, 0));
      expect(before[u]!.segments.computations[countId]).toBe(purchases(u, 0));
      expect(before[u]!.segments.cohort_ids.includes(cohortId)).toBe(purchases(u, 0) >= 2);
    }
    // The count is of this server's open profile databases: all of them were just in use.
    expect(treeUsage(worker.pid).profiles).toBeGreaterThanOrEqual(USERS);

    expect(await residentAfterIdle(60_000)).toBe(0);

    // Read from disk: the same answer as before eviction.
    const after = await readAll();
    expect(after).toEqual(before);
    // And it goes on from there: one more purchase each.
    await send(
      Array.from({ length: USERS }, (_, u) => ({ user_id: `buyer-${u}`, event_type: "Purchase", insert_id: `p-${u}-extra`, event_properties: { price: 99 } })),
    );
    const next = await readAll();
    for (let u = 0; u < USERS; u++) {
      expect(next[u]!.profile.event_count).toBe(purchases(u, 1));
      expect(next[u]!.segments.computations[countId]).toBe(purchases(u, 1));
      expect(next[u]!.segments.cohort_ids.includes(cohortId)).toBe(true);
      expect(next[u]!.events.map((e) => e.insert_id).sort()).toEqual([...before[u]!.events.map((e) => e.insert_id), `p-${u}-extra`].sort());
    }
  }, 150_000);
});
