import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { trainer } from "../../scripts/lib/local.mjs";
import { DEFAULT_DATA, invoices, loadRetail } from "../../scripts/lib/retail-load";
import { startLocalWorker, type LocalWorker } from "../../scripts/lib/worker.mjs";
import { invoiceEvents } from "../../src/core/retail/events";

// A slice of the real data set loaded while backfills and a training run go on, on the
// real local server (its admission bound on): afterwards every cohort's size in the
// membership index equals a recomputation from the raw rows, the backfill succeeded and
// the training run succeeded. (`npm run bench:jobs-load` does the same on the whole set.)
const ROWS = 75_000;
/**
 * Loaded before the jobs start, the rest arriving while they run. The trainer needs a
 * training cutoff a horizon before its holdout and 30 days after the first event: with
 * 7 days, an archive reaching at least mid-January (whatever the rest has reached by then).
 */
const CUT = Date.UTC(2011, 0, 17);
let worker: LocalWorker;
let apiKey: string;
beforeAll(async () => {
  worker = await startLocalWorker({ vars: { ARCHIVE_FLUSH_SECONDS: "2" } });
  ({ api_key: apiKey } = await worker.createProject("jobs"));
}, 120_000);
afterAll(() => worker?.stop());

/** What each customer did in the slice, from the events as the loader sends them. */
async function truth() {
  const orders = new Map<string, number>();
  const cancelled = new Set<string>();
  for await (const lines of invoices(DEFAULT_DATA, ROWS)) {
    for (const e of invoiceEvents(lines)) {
      if (e.event_type === "Order Completed") orders.set(e.user_id, (orders.get(e.user_id) ?? 0) + 1);
      if (e.event_type === "Order Cancelled") cancelled.add(e.user_id);
    }
  }
  const repeat = [...orders].filter(([, n]) => n >= 3).map(([id]) => id);
  return { repeat: repeat.length, cancelled: cancelled.size, loyal: repeat.filter((id) => !cancelled.has(id)).length };
}

describe("the data set loaded while jobs run", () => {
  it("ends with every cohort's size equal to a recomputation from the raw rows, the backfill and the training succeeded", async () => {
    const expected = await truth();
    const admin = <T>(method: string, path: string, body?: unknown) => worker.admin<T>(method, `/projects/jobs${path}`, body);
    const cohort = async (name: string, match: unknown) => {
      const res = await admin<{ id: string }>("POST", "/cohorts", { name, definition: { type: "behavioral", match } });
      expect(res.status).toBe(201);
      return res.json.id;
    };
    const before = await loadRetail({ file: DEFAULT_DATA, url: worker.url, apiKey, limit: ROWS, until: CUT, concurrency: 8 });
    let loaded = 0;
    const load = loadRetail({ file: DEFAULT_DATA, url: worker.url, apiKey, limit: ROWS, since: CUT, concurrency: 8 }).then((s) => (loaded = s.sent));
    // Definitions arrive while the rest of the load is under way: their backfill walks the profiles beside it.
    const threeOrders = { performed: { event: { type: "Order Completed" }, op: ">=", value: 3 } };
    const cancelledOnce = { performed: { event: { type: "Order Cancelled" } } };
    const ids = {
      repeat: await cohort("Three orders or more", threeOrders),
      cancelled: await cohort("Cancelled an order", cancelledOnce),
      loyal: await cohort("Three orders, never cancelled", { all: [threeOrders, { not: cancelledOnce }] }),
    };
    const prediction = await admin<{ id: string }>("POST", "/predictions", {
      name: "Orders again",
      definition: { goal: { event: { type: "Order Completed" } }, horizon_days: 7 },
    });
    expect(prediction.status).toBe(201);
    let output = "";
    const training = trainer([prediction.json.id, "--url", worker.url, "--project", "jobs"], {
      env: { TAILOR_ADMIN_TOKEN: worker.adminToken },
      stdio: ["ignore", "pipe", "pipe"],
    });
    training.child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
    training.child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    await load;
    expect(before.sent).toBeGreaterThan(20_000);
    expect(loaded).toBeGreaterThan(8_000);
    expect(await training.exited, output).toBe(0);

    // Every backfill (the last one follows the published model) ends succeeded or superseded by a newer one.
    type Backfill = { id: string; status: string; failures: number; started_at: number };
    let backfills: Backfill[] = [];
    for (let i = 0; i < 240; i++, await new Promise((r) => setTimeout(r, 500))) {
      backfills = (await admin<{ backfills: Backfill[] }>("GET", "/backfills")).json.backfills;
      if (backfills.every((b) => b.status !== "running")) break;
    }
    const last = backfills.reduce((a, b) => (b.started_at > a.started_at ? b : a));
    expect(last).toMatchObject({ status: "succeeded", failures: 0 });

    // The index (sizes, the Cohort API, syncs) converges to the raw rows' answer.
    const sizes = async () =>
      Object.fromEntries(
        await Promise.all(Object.entries(ids).map(async ([k, id]) => [k, (await admin<{ size: number }>("GET", `/cohorts/${id}`)).json.size] as const)),
      );
    let seen = await sizes();
    for (let i = 0; i < 120 && JSON.stringify(seen) !== JSON.stringify(expected); i++, await new Promise((r) => setTimeout(r, 500))) seen = await sizes();
    expect(seen).toEqual(expected);
    expect(expected.repeat).toBeGreaterThan(50);
    expect(expected.loyal).toBeLessThan(expected.repeat);
  }, 300_000);
});
