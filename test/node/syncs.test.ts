import { createHash } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalWorker, type LocalWorker } from "../../scripts/lib/worker.mjs";
import { startFakeDestination, type Delivery, type FakeDestination } from "./fake-destination";

// The real local server delivering to a local fake webhook destination over HTTP.
let worker: LocalWorker;
let keys: { api_key: string; secret_key: string };
let destination: FakeDestination;
let destinationUrl: string;
let received: Delivery[];
let attempts: Delivery[];

beforeAll(async () => {
  destination = await startFakeDestination();
  ({ received, attempts } = destination);
  destinationUrl = `${destination.base}/hook`;
  worker = await startLocalWorker({ vars: { SYNC_BACKOFF_MS: "20" } });
  keys = await worker.createProject("syncs");
});
afterAll(async () => {
  await worker?.stop();
  await destination?.close();
});

const admin = <T>(method: string, path: string, body?: unknown) => worker.admin<T>(method, path, body);

async function ingest(events: unknown[]) {
  const res = await fetch(`${worker.url}/2/httpapi`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ api_key: keys.api_key, events }),
  });
  expect(res.status).toBe(200);
}

/** Waits until the cohort's D1 size is `n` (profiles deliver membership changes from their alarms). */
async function waitForSize(cohortId: string, n: number) {
  for (let i = 0; i < 100; i++) {
    const { json } = await admin<{ size: number }>("GET", `/projects/syncs/cohorts/${cohortId}`);
    if (json.size === n) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`cohort ${cohortId} never reached size ${n}`);
}

const webhookDeliveries = () => received.filter((d) => d.url === "/hook");
type Message = { cohort_id: string; in_cohort: boolean; message_id: string; users: { user_id: string | null }[] };
const messages = () => webhookDeliveries().map((d) => JSON.parse(d.body) as Message);
const delivered = (from: number) =>
  messages()
    .slice(from)
    .flatMap((m) => m.users.map((u) => `${m.in_cohort ? "+" : "-"}${u.user_id}`))
    .sort();

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** A cohort message's id: `<sync>:<cohort>:in|out:<first seq>-<last seq>`. */
const messageIdOf = (syncId: string, cohortId: string, direction: "in" | "out") =>
  expect.stringMatching(new RegExp(`^${syncId}:${cohortId}:${direction}:\\d+-\\d+$`));
/** A request as the destination saw it: method, path, the named headers, and the JSON body. */
const wire = (d: Delivery, headers: string[]) => ({
  method: d.method,
  path: d.url,
  headers: Object.fromEntries(headers.map((h) => [h, d.headers[h]])),
  body: JSON.parse(d.body) as unknown,
});

/** Sets a user property, and waits until the cohort has `size` members. */
async function setProperty(userId: string, property: string, value: unknown, cohortId: string, size: number) {
  await ingest([{ user_id: userId, event_type: "$identify", user_properties: { $set: { [property]: value } } }]);
  await waitForSize(cohortId, size);
}

async function createSync(name: string, destination: unknown, cohortId: string, extra: Record<string, unknown> = {}) {
  const dest = await admin<{ id: string; signing_secret?: string }>("POST", "/projects/syncs/destinations", { name, definition: destination });
  expect(dest.status).toBe(201);
  const sync = await admin<{ id: string }>("POST", "/projects/syncs/syncs", {
    name: `to ${name}`,
    definition: { destination_id: dest.json.id, what: { kind: "cohort", cohort_id: cohortId }, schedule: "manual", ...extra },
  });
  expect(sync.status).toBe(201);
  return { id: sync.json.id, destinationId: dest.json.id, secret: dest.json.signing_secret };
}

type RunResult = { status: string; sent: number; failed: number; skipped: number; last_error: string | null };
const runSync = async (syncId: string) => (await admin<RunResult>("POST", `/projects/syncs/syncs/${syncId}/run`)).json;

describe("cohort webhook syncs", () => {
  let cohortId: string;
  let syncId: string;
  let secret: string;
  const webhookHeaders = ["content-type", "webhook-id"];

  /** The exact message a webhook receives for these users, and its signature checked. */
  function expectMessage(d: Delivery, inCohort: boolean, users: string[]) {
    const body = JSON.parse(d.body) as Message;
    expect(wire(d, webhookHeaders)).toEqual({
      method: "POST",
      path: "/hook",
      headers: { "content-type": "application/json", "webhook-id": body.message_id },
      body: {
        cohort_name: "Pro",
        cohort_id: cohortId,
        in_cohort: inCohort,
        computed_time: expect.stringMatching(ISO_TIME),
        message_id: messageIdOf(syncId, cohortId, inCohort ? "in" : "out"),
        users: users.map((user_id) => ({ user_id, device_id: null })),
      },
    });
    expect(d.headers["webhook-timestamp"]).toMatch(/^\d{10}$/);
    expect(d.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(secret).verify(d.body, d.headers as Record<string, string>)).toEqual(body);
  }

  it("first run sends the full membership, signed per Standard Webhooks", async () => {
    cohortId = (
      await admin<{ id: string }>("POST", "/projects/syncs/cohorts", {
        name: "Pro",
        definition: { type: "behavioral", match: { user_property: { property: "plan", op: "eq", value: "pro" } } },
      })
    ).json.id;
    // One after the other, so the change log (and the message) has them in this order.
    await setProperty("sync-a", "plan", "pro", cohortId, 1);
    await setProperty("sync-b", "plan", "pro", cohortId, 2);

    const dest = await admin<{ id: string; signing_secret: string; definition: { credentials: unknown } }>("POST", "/projects/syncs/destinations", {
      name: "Hook",
      definition: { type: "webhook", url: destinationUrl },
    });
    expect(dest.status).toBe(201);
    secret = dest.json.signing_secret;
    expect(secret).toMatch(/^whsec_/);
    const shown = await admin<{ definition: { credentials: unknown } }>("GET", `/projects/syncs/destinations/${dest.json.id}`);
    expect(shown.json.definition.credentials).toEqual({ signing_secret: "(set)" });

    syncId = (
      await admin<{ id: string }>("POST", "/projects/syncs/syncs", {
        name: "Pro to hook",
        definition: { destination_id: dest.json.id, what: { kind: "cohort", cohort_id: cohortId }, schedule: "manual" },
      })
    ).json.id;
    const run = await runSync(syncId);
    expect(run).toMatchObject({ status: "succeeded", sent: 2 });
    expect(received).toHaveLength(1);
    expectMessage(received[0]!, true, ["sync-a", "sync-b"]);
  });

  it("later runs send only the net changes since the last successful run, exits as in_cohort false", async () => {
    const before = received.length;
    await setProperty("sync-b", "plan", "free", cohortId, 1); // b leaves
    await setProperty("sync-c", "plan", "pro", cohortId, 2); // c enters
    await setProperty("sync-d", "plan", "pro", cohortId, 3); // d enters…
    await setProperty("sync-d", "plan", "free", cohortId, 2); // …and leaves: not sent
    const run = await runSync(syncId);
    expect(run).toMatchObject({ status: "succeeded", sent: 2 });
    const calls = received.slice(before);
    expect(calls).toHaveLength(2);
    expectMessage(calls[0]!, false, ["sync-b"]);
    expectMessage(calls[1]!, true, ["sync-c"]);
    const again = await runSync(syncId);
    expect(again.sent).toBe(0);
    expect(received.length).toBe(before + 2);
  });

  it("a failing destination keeps the cursor; the next run resends the same message once, honouring Retry-After (seconds and HTTP-date)", async () => {
    const before = received.length;
    const attemptsBefore = attempts.length;
    await setProperty("sync-e", "plan", "pro", cohortId, 3);
    destination.answerNext([{ status: 500 }, { status: 500 }, { status: 503 }, { status: 500 }]);
    const failed = await runSync(syncId);
    expect(failed.status).toBe("failed");
    expect(failed.last_error).toMatch(/HTTP 500/);
    expect(received.length).toBe(before);

    // 1 s as seconds, then 2–3 s as an HTTP-date (whole seconds, so up to 1 s less than asked).
    destination.answerNext([
      { status: 429, headers: { "retry-after": "1" } },
      { status: 503, retryAfterDate: 3 },
    ]);
    const t0 = Date.now();
    const recovered = await runSync(syncId);
    expect(recovered).toMatchObject({ status: "succeeded", sent: 1 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2500);
    expect(delivered(before)).toEqual(["+sync-e"]);
    // All seven attempts, over both runs, carried the one message id.
    const tried = attempts.slice(attemptsBefore);
    expect(tried.map((a) => a.status)).toEqual([500, 500, 503, 500, 429, 503, 200]);
    expect(new Set(tried.map((a) => a.headers["webhook-id"])).size).toBe(1);
    const ids = messages().map((m) => m.message_id);
    expect(new Set(ids).size).toBe(ids.length);

    const log = await admin<{ failing: boolean; runs: { status: string }[] }>("GET", `/projects/syncs/syncs/${syncId}/runs`);
    expect(log.json.failing).toBe(false);
    expect(log.json.runs.map((r) => r.status).slice(0, 2)).toEqual(["succeeded", "failed"]);
  });

  it("repeated failures mark the sync failing, in its run log and in the sync list; what syncs use cannot be deleted", async () => {
    await setProperty("sync-f", "plan", "pro", cohortId, 4);
    for (let i = 0; i < 3; i++) {
      destination.answerNext([{ status: 500 }, { status: 500 }, { status: 500 }, { status: 500 }]);
      await runSync(syncId);
    }
    const log = await admin<{ failing: boolean }>("GET", `/projects/syncs/syncs/${syncId}/runs`);
    expect(log.json.failing).toBe(true);
    const list = await admin<{ syncs: { id: string; failing: boolean }[] }>("GET", "/projects/syncs/syncs");
    expect(list.json.syncs.find((s) => s.id === syncId)?.failing).toBe(true);
    expect((await admin("DELETE", `/projects/syncs/cohorts/${cohortId}`)).status).toBe(400);
    destination.answerNext([]);
    // Recovered: delivered once, and no longer failing.
    expect(await runSync(syncId)).toMatchObject({ status: "succeeded", sent: 1 });
    expect((await admin<{ syncs: { id: string; failing: boolean }[] }>("GET", "/projects/syncs/syncs")).json.syncs.find((s) => s.id === syncId)?.failing).toBe(
      false,
    );
  });
});

describe("cohort sync delivery guarantees", () => {
  it("a run failing halfway resumes at the undelivered message with the same ids: every user exactly once", async () => {
    const cohortId = (
      await admin<{ id: string }>("POST", "/projects/syncs/cohorts", {
        name: "Resume",
        definition: { type: "behavioral", match: { user_property: { property: "resume", op: "eq", value: true } } },
      })
    ).json.id;
    const users = ["res-1", "res-2", "res-3", "res-4"];
    for (const [i, u] of users.entries()) await setProperty(u, "resume", true, cohortId, i + 1);
    const sync = await createSync("Resume hook", { type: "webhook", url: destinationUrl.replace("/hook", "/resume") }, cohortId, { batch_size: 1 });
    const hits = () => attempts.filter((a) => a.url === "/resume").map((a) => ({ status: a.status, ...(JSON.parse(a.body) as Message) }));

    // Message 1 lands; message 2 fails every attempt.
    destination.answerNext([{ status: 200 }, { status: 500 }, { status: 500 }, { status: 500 }, { status: 500 }]);
    expect(await runSync(sync.id)).toMatchObject({ status: "failed", sent: 1, failed: 1 });
    const first = hits();
    expect(first.map((h) => [h.status, h.users[0]!.user_id])).toEqual([
      [200, "res-1"],
      [500, "res-2"],
      [500, "res-2"],
      [500, "res-2"],
      [500, "res-2"],
    ]);
    expect(new Set(first.slice(1).map((h) => h.message_id)).size).toBe(1);

    // The destination recovers: the next run starts at message 2, with the id it had.
    expect(await runSync(sync.id)).toMatchObject({ status: "succeeded", sent: 3, failed: 0 });
    const second = hits().slice(first.length);
    expect(second.map((h) => [h.status, h.users[0]!.user_id])).toEqual([
      [200, "res-2"],
      [200, "res-3"],
      [200, "res-4"],
    ]);
    expect(second[0]!.message_id).toBe(first[1]!.message_id);

    const ok = hits().filter((h) => h.status === 200);
    expect(ok.flatMap((h) => h.users.map((u) => u.user_id))).toEqual(users); // no loss, no duplicate, in order
    expect(new Set(ok.map((h) => h.message_id)).size).toBe(users.length);
    expect(await runSync(sync.id)).toMatchObject({ status: "succeeded", sent: 0 });
    expect(hits()).toHaveLength(first.length + second.length);
  });

  it("enter → run → exit → run → re-enter → run: each change delivered exactly once, in order", async () => {
    const cohortId = (
      await admin<{ id: string }>("POST", "/projects/syncs/cohorts", {
        name: "Cycle",
        definition: { type: "behavioral", match: { user_property: { property: "cycle", op: "eq", value: true } } },
      })
    ).json.id;
    const sync = await createSync("Cycle hook", { type: "webhook", url: destinationUrl.replace("/hook", "/cycle") }, cohortId);
    const changes = () => received.filter((d) => d.url === "/cycle").map((d) => JSON.parse(d.body) as Message);

    await setProperty("cyc-1", "cycle", true, cohortId, 1);
    expect(await runSync(sync.id)).toMatchObject({ status: "succeeded", sent: 1 });
    await setProperty("cyc-1", "cycle", false, cohortId, 0);
    expect(await runSync(sync.id)).toMatchObject({ status: "succeeded", sent: 1 });
    await setProperty("cyc-1", "cycle", true, cohortId, 1);
    expect(await runSync(sync.id)).toMatchObject({ status: "succeeded", sent: 1 });
    expect(await runSync(sync.id)).toMatchObject({ status: "succeeded", sent: 0 });

    const sent = changes();
    expect(sent.map((m) => [m.in_cohort, m.users])).toEqual([
      [true, [{ user_id: "cyc-1", device_id: null }]],
      [false, [{ user_id: "cyc-1", device_id: null }]],
      [true, [{ user_id: "cyc-1", device_id: null }]],
    ]);
    expect(sent.map((m) => m.message_id)).toEqual([
      messageIdOf(sync.id, cohortId, "in"),
      messageIdOf(sync.id, cohortId, "out"),
      messageIdOf(sync.id, cohortId, "in"),
    ]);
    expect(new Set(sent.map((m) => m.message_id)).size).toBe(3);
  });
});

describe("Braze destination", () => {
  it("sends the exact /users/track requests with the API key: the attribute true on entry, false on exit", async () => {
    const cohortId = (
      await admin<{ id: string }>("POST", "/projects/syncs/cohorts", {
        name: "Gold",
        definition: { type: "behavioral", match: { user_property: { property: "tier", op: "eq", value: "gold" } } },
      })
    ).json.id;
    await setProperty("braze-1", "tier", "gold", cohortId, 1);
    await setProperty("braze-2", "tier", "gold", cohortId, 2);
    const base = destinationUrl.replace("/hook", "/braze");
    const dest = await admin<{ id: string; definition: unknown }>("POST", "/projects/syncs/destinations", {
      name: "Braze",
      definition: { type: "braze", base_url: base, attribute: "is_gold", credentials: { api_key: "braze-key-1" } },
    });
    expect(dest.status).toBe(201);
    expect(dest.json.definition).toEqual({ type: "braze", base_url: base, attribute: "is_gold", credentials: { api_key: "(set)" } });
    const sync = (
      await admin<{ id: string }>("POST", "/projects/syncs/syncs", {
        name: "Gold to Braze",
        definition: { destination_id: dest.json.id, what: { kind: "cohort", cohort_id: cohortId }, schedule: "manual" },
      })
    ).json.id;
    const headers = ["content-type", "authorization"];
    const braze = { "content-type": "application/json", authorization: "Bearer braze-key-1" };

    let before = received.length;
    expect(await runSync(sync)).toMatchObject({ status: "succeeded", sent: 2 });
    expect(received.slice(before).map((c) => wire(c, headers))).toEqual([
      {
        method: "POST",
        path: "/braze/users/track",
        headers: braze,
        body: {
          attributes: [
            { external_id: "braze-1", is_gold: true },
            { external_id: "braze-2", is_gold: true },
          ],
        },
      },
    ]);

    await setProperty("braze-2", "tier", "silver", cohortId, 1);
    before = received.length;
    expect(await runSync(sync)).toMatchObject({ status: "succeeded", sent: 1 });
    expect(received.slice(before).map((c) => wire(c, headers))).toEqual([
      { method: "POST", path: "/braze/users/track", headers: braze, body: { attributes: [{ external_id: "braze-2", is_gold: false }] } },
    ]);
  });
});

describe("Facebook destination", () => {
  it("reads each user's email from the profile, normalises and hashes it: POST to add, DELETE to remove", async () => {
    const cohortId = (
      await admin<{ id: string }>("POST", "/projects/syncs/cohorts", {
        name: "Newsletter",
        definition: { type: "behavioral", match: { user_property: { property: "newsletter", op: "eq", value: true } } },
      })
    ).json.id;
    await ingest([
      { user_id: "fb-user-1", event_type: "$identify", user_properties: { $set: { newsletter: true, email: "  Ann@Example.COM " } } },
      { user_id: "fb-user-2", event_type: "$identify", user_properties: { $set: { newsletter: true } } }, // no email: not sendable
    ]);
    await waitForSize(cohortId, 2);
    const sync = await createSync(
      "FB",
      { type: "facebook", base_url: destinationUrl.replace("/hook", "/graph"), audience_id: "A1", credentials: { access_token: "fb-token" } },
      cohortId,
    );
    const hashed = createHash("sha256").update("ann@example.com").digest("hex");
    const request = (method: string) => ({
      method,
      path: "/graph/v21.0/A1/users?access_token=fb-token",
      headers: { "content-type": "application/json" },
      body: { payload: { schema: "EMAIL_SHA256", data: [hashed] } },
    });

    let before = received.length;
    expect(await runSync(sync.id)).toMatchObject({ status: "succeeded", sent: 1, skipped: 1 });
    expect(received.slice(before).map((c) => wire(c, ["content-type"]))).toEqual([request("POST")]);

    await setProperty("fb-user-1", "newsletter", false, cohortId, 1);
    before = received.length;
    expect(await runSync(sync.id)).toMatchObject({ status: "succeeded", sent: 1, skipped: 0 });
    expect(received.slice(before).map((c) => wire(c, ["content-type"]))).toEqual([request("DELETE")]);
  });
});

describe("HubSpot and Klaviyo destinations", () => {
  it("send their exact list-membership requests (add, then remove), with ids read from user properties", async () => {
    const cohortId = (
      await admin<{ id: string }>("POST", "/projects/syncs/cohorts", {
        name: "Crm",
        definition: { type: "behavioral", match: { user_property: { property: "crm", op: "set" } } },
      })
    ).json.id;
    await ingest([
      { user_id: "crm-user-1", event_type: "$identify", user_properties: { $set: { crm: true, hubspot_id: 501, klaviyo_id: "01KLAV" } } },
      // In the cohort, but unknown to both CRMs: counted as skipped, never sent.
      { user_id: "crm-user-2", event_type: "$identify", user_properties: { $set: { crm: true } } },
    ]);
    await waitForSize(cohortId, 2);
    const hubspot = await createSync(
      "HubSpot",
      { type: "hubspot", base_url: destinationUrl.replace("/hook", "/hs"), list_id: "77", credentials: { access_token: "hs-token" } },
      cohortId,
    );
    const klaviyo = await createSync(
      "Klaviyo",
      { type: "klaviyo", base_url: destinationUrl.replace("/hook", "/kl"), list_id: "L7", credentials: { api_key: "pk_1" } },
      cohortId,
    );
    const run = async (syncId: string, counts: { sent: number; skipped: number }) => {
      const before = received.length;
      expect(await runSync(syncId)).toMatchObject({ status: "succeeded", ...counts });
      const log = await admin<{ runs: { sent: number; skipped: number }[] }>("GET", `/projects/syncs/syncs/${syncId}/runs`);
      expect(log.json.runs[0]).toMatchObject(counts);
      return received.slice(before);
    };
    const hsHeaders = { "content-type": "application/json", authorization: "Bearer hs-token" };
    const klHeaders = {
      "content-type": "application/vnd.api+json",
      accept: "application/vnd.api+json",
      revision: "2024-10-15",
      authorization: "Klaviyo-API-Key pk_1",
    };
    const hs = (calls: Delivery[]) => calls.map((c) => wire(c, Object.keys(hsHeaders)));
    const kl = (calls: Delivery[]) => calls.map((c) => wire(c, Object.keys(klHeaders)));

    expect(hs(await run(hubspot.id, { sent: 1, skipped: 1 }))).toEqual([
      { method: "PUT", path: "/hs/crm/v3/lists/77/memberships/add", headers: hsHeaders, body: ["501"] },
    ]);
    expect(kl(await run(klaviyo.id, { sent: 1, skipped: 1 }))).toEqual([
      { method: "POST", path: "/kl/api/lists/L7/relationships/profiles", headers: klHeaders, body: { data: [{ type: "profile", id: "01KLAV" }] } },
    ]);

    // crm-user-1 leaves (its ids stay on the profile, so the lists can be told).
    await ingest([{ user_id: "crm-user-1", event_type: "$identify", user_properties: { $unset: { crm: "-" } } }]);
    await waitForSize(cohortId, 1);
    expect(hs(await run(hubspot.id, { sent: 1, skipped: 0 }))).toEqual([
      { method: "PUT", path: "/hs/crm/v3/lists/77/memberships/remove", headers: hsHeaders, body: ["501"] },
    ]);
    expect(kl(await run(klaviyo.id, { sent: 1, skipped: 0 }))).toEqual([
      { method: "DELETE", path: "/kl/api/lists/L7/relationships/profiles", headers: klHeaders, body: { data: [{ type: "profile", id: "01KLAV" }] } },
    ]);
  });
});

describe("property syncs to a webhook and to Braze", () => {
  it("send signed value changes in batches; a run failing halfway resumes with only what is still undelivered", async () => {
    const post = async (kind: string, body: unknown) => {
      const res = await admin<{ id: string; signing_secret?: string }>("POST", `/projects/syncs/${kind}`, body);
      expect(res.status).toBe(201);
      return res.json;
    };
    const spend = (await post("computations", { name: "Spend", definition: { event: { type: "Order Completed" }, aggregate: "sum", property: "revenue" } })).id;
    const cohortId = (
      await post("cohorts", { name: "Spenders", definition: { type: "behavioral", match: { performed: { event: { type: "Order Completed" } } } } })
    ).id;
    await ingest(["val-1", "val-2", "val-3"].map((u, i) => ({ user_id: u, event_type: "Order Completed", event_properties: { revenue: 10 * (i + 1) } })));
    await waitForSize(cohortId, 3);
    const hook = await post("destinations", { name: "Values hook", definition: { type: "webhook", url: destinationUrl } });
    const what = { kind: "properties", cohort_id: cohortId, computations: [{ id: spend, as: "spend" }] };
    const sync = (await post("syncs", { name: "Spend to hook", definition: { destination_id: hook.id, what, schedule: "manual", batch_size: 2 } })).id;

    // The first batch (val-1, val-2) lands; the second fails every attempt.
    const before = received.length;
    destination.answerNext([{ status: 200 }, { status: 500 }, { status: 500 }, { status: 500 }, { status: 500 }]);
    const failed = await admin<{ status: string; sent: number; failed: number }>("POST", `/projects/syncs/syncs/${sync}/run`);
    expect(failed.json).toMatchObject({ status: "failed", sent: 2, failed: 1 });
    const resumed = await admin<{ status: string; sent: number }>("POST", `/projects/syncs/syncs/${sync}/run`);
    expect(resumed.json).toMatchObject({ status: "succeeded", sent: 1 });
    type ValueMessage = { sync_id: string; message_id: string; users: { user_id: string; in_cohort: boolean; properties: { spend: number | null } }[] };
    const calls = received.slice(before);
    const bodies = calls.map((c) => new Webhook(hook.signing_secret!).verify(c.body, c.headers as Record<string, string>) as ValueMessage);
    expect(bodies.flatMap((b) => b.users.map((u) => [u.user_id, u.in_cohort, u.properties.spend]))).toEqual([
      ["val-1", true, 10],
      ["val-2", true, 20],
      ["val-3", true, 30],
    ]);
    expect(bodies.every((b) => b.sync_id === sync)).toBe(true);

    // Only the one whose value moved goes out next time.
    await ingest([{ user_id: "val-2", event_type: "Order Completed", event_properties: { revenue: 5 } }]);
    const next = received.length;
    expect((await admin<{ sent: number }>("POST", `/projects/syncs/syncs/${sync}/run`)).json.sent).toBe(1);
    expect((JSON.parse(received[next]!.body) as ValueMessage).users).toEqual([
      { user_id: "val-2", device_id: null, in_cohort: true, properties: { spend: 25 } },
    ]);

    // Braze gets the same values as custom attributes.
    const braze = await post("destinations", {
      name: "Braze values",
      definition: { type: "braze", base_url: destinationUrl.replace("/hook", "/braze"), credentials: { api_key: "braze-key-2" } },
    });
    const toBraze = (await post("syncs", { name: "Spend to Braze", definition: { destination_id: braze.id, what, schedule: "manual" } })).id;
    const b0 = received.length;
    expect((await admin<{ status: string; sent: number }>("POST", `/projects/syncs/syncs/${toBraze}/run`)).json).toMatchObject({
      status: "succeeded",
      sent: 3,
    });
    expect(received.slice(b0).map((c) => [c.url, c.headers.authorization])).toEqual([["/braze/users/track", "Bearer braze-key-2"]]);
    expect(JSON.parse(received[b0]!.body)).toEqual({
      attributes: [
        { external_id: "val-1", spend: 10 },
        { external_id: "val-2", spend: 25 },
        { external_id: "val-3", spend: 30 },
      ],
    });
  });
});

describe("scheduled syncs under npm start's server", () => {
  it("a minute sync delivers by itself (the server fires the cron every minute); the list shows its last and next run", async () => {
    const cohort = (
      await admin<{ id: string }>("POST", "/projects/syncs/cohorts", {
        name: "Scheduled",
        definition: { type: "behavioral", match: { user_property: { property: "schedule_test", op: "eq", value: "gold" } } },
      })
    ).json.id;
    await setProperty("sched-user", "schedule_test", "gold", cohort, 1);
    const url = `${destinationUrl}?scheduled`;
    const dest = await admin<{ id: string }>("POST", "/projects/syncs/destinations", { name: "Scheduled hook", definition: { type: "webhook", url } });
    const sync = await admin<{ id: string }>("POST", "/projects/syncs/syncs", {
      name: "Every minute",
      definition: { destination_id: dest.json.id, what: { kind: "cohort", cohort_id: cohort }, schedule: "minute" },
    });
    expect(sync.status).toBe(201);
    type Listed = { id: string; last_run_at: number | null; next_run_at: number | null };
    const listed = async () => (await admin<{ syncs: Listed[] }>("GET", "/projects/syncs/syncs")).json.syncs.find((s) => s.id === sync.json.id)!;
    const before = await listed();
    expect(before.last_run_at).toBeNull();
    expect(before.next_run_at! - Date.now()).toBeLessThanOrEqual(60_000);

    // Nobody calls /run: the delivery comes from the scheduled handler alone, within a minute and a bit.
    const deadline = Date.now() + 75_000;
    while (!received.some((d) => d.url === "/hook?scheduled") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    const delivery = received.find((d) => d.url === "/hook?scheduled");
    expect(delivery, "no scheduled delivery within 75 s").toBeDefined();
    expect((JSON.parse(delivery!.body) as Message).users.map((u) => u.user_id)).toEqual(["sched-user"]);
    const after = await listed();
    expect(after.last_run_at).toBeGreaterThan(0);
    expect(after.next_run_at! - after.last_run_at!).toBeGreaterThanOrEqual(55_000);
  }, 120_000);
});
