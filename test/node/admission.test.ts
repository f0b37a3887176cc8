import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalWorker, type LocalWorker } from "../../scripts/lib/worker.mjs";

// The local server's bound on distinct profiles addressed per window (src/core/active-profiles.ts),
// here 5 per 3 s: past it, ingestion and reads answer 503 with Retry-After and store nothing;
// background jobs walk profiles only under half of it (JOB_SHARE), 2 per page here; a profile
// its alarm wakes is counted too (a returning profile's archive flush, 4 s after its events here).
let worker: LocalWorker;
let apiKey: string;
let secretKey: string;
beforeAll(async () => {
  worker = await startLocalWorker({ vars: { MAX_ACTIVE_PROFILES: "5", ACTIVE_PROFILE_SECONDS: "3", BACKFILL_PAGE: "2", ARCHIVE_FLUSH_SECONDS: "4" } });
  ({ api_key: apiKey, secret_key: secretKey } = await worker.createProject("admit"));
}, 120_000);
afterAll(() => worker?.stop());

const upload = (deviceIds: string[], insertId = "pv") =>
  fetch(`${worker.url}/2/httpapi`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      api_key: apiKey,
      events: deviceIds.map((d) => ({ device_id: `visitor-${d}`, event_type: "Page Viewed", insert_id: `${insertId}-${d}` })),
    }),
  });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Whether an event with this insert_id is in the project's R2 archive. */
async function archived(insertId: string): Promise<boolean> {
  const list = await worker.admin<{ objects: { key: string }[] }>("GET", "/projects/admit/archive");
  for (const { key } of list.json.objects) {
    const res = await fetch(`${worker.url}/admin/api/projects/admit/archive/object?key=${encodeURIComponent(key)}`, {
      headers: { authorization: `Bearer ${worker.adminToken}` },
    });
    if ((await res.text()).includes(`"${insertId}"`)) return true;
  }
  return false;
}
const eventCount = async (deviceId: string) => {
  const res = await worker.admin<{ profile: { event_count: number } }>("GET", `/projects/admit/users?device_id=visitor-${deviceId}&events=0`);
  return res.status === 200 ? res.json.profile.event_count : res.status;
};

describe("admission control on the local server", () => {
  it("refuses a request that would pass the bound with 503 and Retry-After, stores none of it, and takes the resend once", async () => {
    expect((await upload(["a1", "a2", "a3", "a4", "a5"])).status).toBe(200);
    // Profiles already in the window cost nothing: re-addressing them is admitted.
    expect((await upload(["a1", "a2"])).status).toBe(200);
    const refused = await upload(["b1", "b2"]);
    expect(refused.status).toBe(503);
    expect(await refused.json()).toEqual({ code: 503, error: "Service temporarily unavailable" });
    const wait = Number(refused.headers.get("retry-after"));
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(3);
    // A read of a new profile is bounded too.
    const read = await fetch(`${worker.url}/v1/userprofile?device_id=visitor-b1`, { headers: { authorization: `Api-Key ${secretKey}` } });
    expect(read.status).toBe(503);
    expect(read.headers.get("retry-after")).not.toBeNull();

    await new Promise((r) => setTimeout(r, wait * 1000 + 100));
    expect(await eventCount("b1")).toBe(404); // nothing of the refused request was stored
    expect((await upload(["b1", "b2"])).status).toBe(200);
    expect((await upload(["b1", "b2"])).status).toBe(200); // a resend of what was stored: no-op
    await new Promise((r) => setTimeout(r, 3_100));
    for (const d of ["a1", "a3", "b1", "b2"]) expect(await eventCount(d)).toBe(1);
  }, 60_000);

  it("a backfill walks the profiles under half the bound: it finishes, and live requests are admitted while it runs", async () => {
    const window = () => new Promise((r) => setTimeout(r, 3_100));
    await window();
    const old = ["c1", "c2", "c3", "c4", "c5"];
    expect((await upload(old)).status).toBe(200);
    await window();
    const created = await worker.admin<{ backfill: { id: string; total: number } }>("POST", "/projects/admit/cohorts", {
      name: "Viewers",
      definition: { type: "behavioral", match: { performed: { event: { type: "Page Viewed" } } } },
    });
    expect(created.status).toBe(201);
    const { id, total } = created.json.backfill;
    expect(total).toBeGreaterThanOrEqual(old.length);
    const backfill = async () =>
      (
        await worker.admin<{ backfills: { id: string; status: string; processed: number; failures: number }[] }>("GET", "/projects/admit/backfills")
      ).json.backfills.find((b) => b.id === id)!;
    // The job holds at most 2 of the 5: three new visitors are let in beside it.
    await new Promise((r) => setTimeout(r, 500));
    expect((await backfill()).status).toBe("running");
    expect((await upload(["d1", "d2", "d3"])).status).toBe(200);
    const started = Date.now();
    let job = await backfill();
    while (job.status === "running" && Date.now() - started < 60_000) {
      await new Promise((r) => setTimeout(r, 500));
      job = await backfill();
    }
    expect(job).toMatchObject({ status: "succeeded", failures: 0 });
    expect(job.processed).toBeGreaterThanOrEqual(total); // and the visitors registered while it walked
  }, 120_000);

  it("a profile woken by its alarm is counted while it is resident: a new visitor waits for it, and its work is done on time", async () => {
    await sleep(3_100);
    expect((await upload(["e1"])).status).toBe(200);
    expect((await upload(["e1"], "again")).status).toBe(200); // a returning profile: its archive flush is due in 4 s
    // e1 has left the window; four new visitors take four of the five places, held until
    // ~2 s after e1's flush (the margin for an alarm that fires late on a loaded machine).
    await sleep(3_100);
    expect((await upload(["g1", "g2", "g3", "g4"])).status).toBe(200);
    const started = Date.now();
    while (!(await archived("again-e1")) && Date.now() - started < 10_000) await sleep(200);
    expect(await archived("again-e1")).toBe(true); // flushed by its alarm, on time
    // Woken, e1 holds the fifth place: a new visitor is refused until it has aged out.
    const refused = await upload(["g5"]);
    expect(refused.status).toBe(503);
    await sleep(Number(refused.headers.get("retry-after")) * 1000 + 100);
    expect((await upload(["g5"])).status).toBe(200);
    expect(await eventCount("e1")).toBe(2);
  }, 60_000);
});
