import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalWorker, type LocalWorker } from "../../scripts/lib/worker.mjs";

// A real wrangler dev delivering to a local fake webhook destination over HTTP.
let worker: LocalWorker;
let keys: { api_key: string; secret_key: string };
let server: Server;
let destinationUrl: string;
type Delivery = { url: string; headers: IncomingMessage["headers"]; body: string };
const received: Delivery[] = [];
/** What the fake destination answers next (then 200s). */
let script: { status: number; headers?: Record<string, string> }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const next = script.shift() ?? { status: 200 };
      if (next.status === 200) received.push({ url: req.url ?? "", headers: req.headers, body });
      res.writeHead(next.status, next.headers ?? {});
      res.end(next.status === 200 ? "ok" : "nope");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const address = server.address();
  destinationUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/hook`;
  worker = await startLocalWorker({ vars: { SYNC_BACKOFF_MS: "20" } });
  keys = await worker.createProject("syncs");
});
afterAll(async () => {
  await worker?.stop();
  server?.close();
});

async function admin<T>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const res = await fetch(`${worker.url}/admin/api${path}`, {
    method,
    headers: { authorization: `Bearer ${worker.adminToken}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, json: (await res.json()) as T };
}

async function ingest(events: unknown[]) {
  const res = await fetch(`${worker.url}/2/httpapi`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ api_key: keys.api_key, events }) });
  expect(res.status).toBe(200);
}

/** Waits until the cohort's D1 size is `n` (profiles deliver membership changes from their alarms). */
async function waitForSize(cohortId: string, n: number) {
  for (let i = 0; i < 100; i++) {
    const { json } = await admin<{ size: number }>("GET", `/cohorts/${cohortId}?project=syncs`);
    if (json.size === n) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`cohort ${cohortId} never reached size ${n}`);
}

const webhookDeliveries = () => received.filter((d) => d.url === "/hook");
type Message = { cohort_id: string; in_cohort: boolean; message_id: string; users: { user_id: string | null }[] };
const messages = () => webhookDeliveries().map((d) => JSON.parse(d.body) as Message);
const delivered = (from: number) => messages().slice(from).flatMap((m) => m.users.map((u) => `${m.in_cohort ? "+" : "-"}${u.user_id}`)).sort();

describe("cohort webhook syncs", () => {
  let cohortId: string;
  let syncId: string;
  let secret: string;

  it("first run sends the full membership, signed per Standard Webhooks", async () => {
    cohortId = (await admin<{ id: string }>("POST", "/cohorts?project=syncs", { name: "Pro", definition: { type: "behavioral", match: { user_property: { property: "plan", op: "eq", value: "pro" } } } })).json.id;
    await ingest(["sync-a", "sync-b"].map((u) => ({ user_id: u, event_type: "$identify", user_properties: { $set: { plan: "pro" } } })));
    await waitForSize(cohortId, 2);

    const dest = await admin<{ id: string; signing_secret: string; definition: { credentials: unknown } }>("POST", "/destinations?project=syncs", { name: "Hook", definition: { type: "webhook", url: destinationUrl } });
    expect(dest.status).toBe(201);
    secret = dest.json.signing_secret;
    expect(secret).toMatch(/^whsec_/);
    const shown = await admin<{ definition: { credentials: unknown } }>("GET", `/destinations/${dest.json.id}?project=syncs`);
    expect(shown.json.definition.credentials).toEqual({ signing_secret: "(set)" });

    syncId = (await admin<{ id: string }>("POST", "/syncs?project=syncs", { name: "Pro to hook", definition: { destination_id: dest.json.id, what: { kind: "cohort", cohort_id: cohortId }, schedule: "manual" } })).json.id;
    const run = await admin<{ status: string; sent: number }>("POST", `/syncs/${syncId}/run?project=syncs`);
    expect(run.json).toMatchObject({ status: "succeeded", sent: 2 });
    expect(delivered(0)).toEqual(["+sync-a", "+sync-b"]);
    const [first] = received;
    expect(new Webhook(secret).verify(first!.body, first!.headers as Record<string, string>)).toMatchObject({ cohort_id: cohortId, in_cohort: true, cohort_name: "Pro" });
    expect(first!.headers["webhook-id"]).toBe(messages()[0]!.message_id);
  });

  it("later runs send only the net changes since the last successful run", async () => {
    const before = received.length;
    await ingest([
      { user_id: "sync-b", event_type: "$identify", user_properties: { $set: { plan: "free" } } }, // b leaves
      { user_id: "sync-c", event_type: "$identify", user_properties: { $set: { plan: "pro" } } }, // c enters
      { user_id: "sync-d", event_type: "$identify", user_properties: { $set: { plan: "pro" } } }, // d enters…
    ]);
    await waitForSize(cohortId, 3);
    await ingest([{ user_id: "sync-d", event_type: "$identify", user_properties: { $set: { plan: "free" } } }]); // …and leaves
    await waitForSize(cohortId, 2);
    const run = await admin<{ status: string; sent: number }>("POST", `/syncs/${syncId}/run?project=syncs`);
    expect(run.json).toMatchObject({ status: "succeeded", sent: 2 });
    expect(delivered(before)).toEqual(["+sync-c", "-sync-b"]);
    const again = await admin<{ sent: number }>("POST", `/syncs/${syncId}/run?project=syncs`);
    expect(again.json.sent).toBe(0);
  });

  it("a failing destination keeps the cursor; the next run resends the same message once, honouring Retry-After", async () => {
    const before = received.length;
    await ingest([{ user_id: "sync-e", event_type: "$identify", user_properties: { $set: { plan: "pro" } } }]);
    await waitForSize(cohortId, 3);
    script = [{ status: 500 }, { status: 500 }, { status: 503 }, { status: 500 }];
    const failed = await admin<{ status: string; last_error: string }>("POST", `/syncs/${syncId}/run?project=syncs`);
    expect(failed.json.status).toBe("failed");
    expect(failed.json.last_error).toMatch(/HTTP 500/);
    expect(received.length).toBe(before);

    script = [{ status: 429, headers: { "retry-after": "1" } }];
    const t0 = Date.now();
    const recovered = await admin<{ status: string; sent: number }>("POST", `/syncs/${syncId}/run?project=syncs`);
    expect(recovered.json).toMatchObject({ status: "succeeded", sent: 1 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(delivered(before)).toEqual(["+sync-e"]);
    const ids = messages().map((m) => m.message_id);
    expect(new Set(ids).size).toBe(ids.length);

    const log = await admin<{ failing: boolean; runs: { status: string }[] }>("GET", `/syncs/${syncId}/runs?project=syncs`);
    expect(log.json.failing).toBe(false);
    expect(log.json.runs.map((r) => r.status).slice(0, 2)).toEqual(["succeeded", "failed"]);
  });

  it("repeated failures mark the sync failing; what syncs use cannot be deleted", async () => {
    await ingest([{ user_id: "sync-f", event_type: "$identify", user_properties: { $set: { plan: "pro" } } }]);
    await waitForSize(cohortId, 4);
    for (let i = 0; i < 3; i++) {
      script = [{ status: 500 }, { status: 500 }, { status: 500 }, { status: 500 }];
      await admin("POST", `/syncs/${syncId}/run?project=syncs`);
    }
    const log = await admin<{ failing: boolean }>("GET", `/syncs/${syncId}/runs?project=syncs`);
    expect(log.json.failing).toBe(true);
    expect((await admin("DELETE", `/cohorts/${cohortId}?project=syncs`)).status).toBe(400);
    script = [];
  });
});

describe("Braze destination", () => {
  it("sends the exact /users/track requests with the API key", async () => {
    const cohortId = (await admin<{ id: string }>("POST", "/cohorts?project=syncs", { name: "Gold", definition: { type: "behavioral", match: { user_property: { property: "tier", op: "eq", value: "gold" } } } })).json.id;
    await ingest(["braze-1", "braze-2"].map((u) => ({ user_id: u, event_type: "$identify", user_properties: { $set: { tier: "gold" } } })));
    await waitForSize(cohortId, 2);
    const base = destinationUrl.replace("/hook", "/braze");
    const dest = await admin<{ id: string; definition: unknown }>("POST", "/destinations?project=syncs", {
      name: "Braze",
      definition: { type: "braze", base_url: base, attribute: "is_gold", credentials: { api_key: "braze-key-1" } },
    });
    expect(dest.status).toBe(201);
    expect(dest.json.definition).toEqual({ type: "braze", base_url: base, attribute: "is_gold", credentials: { api_key: "(set)" } });
    const sync = (await admin<{ id: string }>("POST", "/syncs?project=syncs", { name: "Gold to Braze", definition: { destination_id: dest.json.id, what: { kind: "cohort", cohort_id: cohortId }, schedule: "manual" } })).json.id;
    const before = received.length;
    const run = await admin<{ status: string; sent: number }>("POST", `/syncs/${sync}/run?project=syncs`);
    expect(run.json).toMatchObject({ status: "succeeded", sent: 2 });
    const calls = received.slice(before);
    expect(calls.map((c) => c.url)).toEqual(["/braze/users/track"]);
    expect(calls[0]!.headers.authorization).toBe("Bearer braze-key-1");
    // Users go out in change-log order; two profiles written concurrently may land either way round.
    const { attributes } = JSON.parse(calls[0]!.body) as { attributes: { external_id: string }[] };
    expect(attributes.sort((a, b) => a.external_id.localeCompare(b.external_id))).toEqual([{ external_id: "braze-1", is_gold: true }, { external_id: "braze-2", is_gold: true }]);
  });
});

describe("Facebook destination", () => {
  it("reads each user's email from the profile, normalises and hashes it, and adds it to the audience", async () => {
    const cohortId = (await admin<{ id: string }>("POST", "/cohorts?project=syncs", { name: "Newsletter", definition: { type: "behavioral", match: { user_property: { property: "newsletter", op: "eq", value: true } } } })).json.id;
    await ingest([
      { user_id: "fb-user-1", event_type: "$identify", user_properties: { $set: { newsletter: true, email: "  Ann@Example.COM " } } },
      { user_id: "fb-user-2", event_type: "$identify", user_properties: { $set: { newsletter: true } } }, // no email: not sendable
    ]);
    await waitForSize(cohortId, 2);
    const base = destinationUrl.replace("/hook", "/graph");
    const dest = (await admin<{ id: string }>("POST", "/destinations?project=syncs", { name: "FB", definition: { type: "facebook", base_url: base, audience_id: "A1", credentials: { access_token: "fb-token" } } })).json.id;
    const sync = (await admin<{ id: string }>("POST", "/syncs?project=syncs", { name: "News to FB", definition: { destination_id: dest, what: { kind: "cohort", cohort_id: cohortId }, schedule: "manual" } })).json.id;
    const before = received.length;
    const run = await admin<{ status: string; sent: number }>("POST", `/syncs/${sync}/run?project=syncs`);
    expect(run.json).toMatchObject({ status: "succeeded", sent: 1 });
    const [call] = received.slice(before);
    expect(call!.url).toBe("/graph/v21.0/A1/users?access_token=fb-token");
    const expected = createHash("sha256").update("ann@example.com").digest("hex");
    expect(JSON.parse(call!.body)).toEqual({ payload: { schema: "EMAIL_SHA256", data: [expected] } });
  });
});

describe("HubSpot and Klaviyo destinations", () => {
  it("send their exact list-membership requests, with ids read from user properties", async () => {
    const cohortId = (await admin<{ id: string }>("POST", "/cohorts?project=syncs", { name: "Crm", definition: { type: "behavioral", match: { user_property: { property: "crm", op: "set" } } } })).json.id;
    await ingest([
      { user_id: "crm-user-1", event_type: "$identify", user_properties: { $set: { crm: true, hubspot_id: 501, klaviyo_id: "01KLAV" } } },
      // In the cohort, but unknown to both CRMs: counted as skipped, never sent.
      { user_id: "crm-user-2", event_type: "$identify", user_properties: { $set: { crm: true } } },
    ]);
    await waitForSize(cohortId, 2);
    const run = async (name: string, definition: unknown) => {
      const dest = (await admin<{ id: string }>("POST", "/destinations?project=syncs", { name, definition })).json.id;
      const sync = (await admin<{ id: string }>("POST", "/syncs?project=syncs", { name: `Crm to ${name}`, definition: { destination_id: dest, what: { kind: "cohort", cohort_id: cohortId }, schedule: "manual" } })).json.id;
      const before = received.length;
      expect((await admin<{ status: string; sent: number }>("POST", `/syncs/${sync}/run?project=syncs`)).json).toMatchObject({ status: "succeeded", sent: 1, skipped: 1 });
      const log = await admin<{ runs: { sent: number; skipped: number }[] }>("GET", `/syncs/${sync}/runs?project=syncs`);
      expect(log.json.runs[0]).toMatchObject({ sent: 1, skipped: 1 });
      return received.slice(before);
    };
    const [hs] = await run("HubSpot", { type: "hubspot", base_url: destinationUrl.replace("/hook", "/hs"), list_id: "77", credentials: { access_token: "hs-token" } });
    expect(hs!.url).toBe("/hs/crm/v3/lists/77/memberships/add");
    expect(hs!.headers.authorization).toBe("Bearer hs-token");
    expect(JSON.parse(hs!.body)).toEqual(["501"]);
    const [kl] = await run("Klaviyo", { type: "klaviyo", base_url: destinationUrl.replace("/hook", "/kl"), list_id: "L7", credentials: { api_key: "pk_1" } });
    expect(kl!.url).toBe("/kl/api/lists/L7/relationships/profiles");
    expect(kl!.headers).toMatchObject({ authorization: "Klaviyo-API-Key pk_1", revision: "2024-10-15", "content-type": "application/vnd.api+json" });
    expect(JSON.parse(kl!.body)).toEqual({ data: [{ type: "profile", id: "01KLAV" }] });
  });
});

describe("property syncs to a webhook and to Braze", () => {
  it("send signed value changes in batches; a run failing halfway resumes with only what is still undelivered", async () => {
    const post = async (kind: string, body: unknown) => {
      const res = await admin<{ id: string; signing_secret?: string }>("POST", `/${kind}?project=syncs`, body);
      expect(res.status).toBe(201);
      return res.json;
    };
    const spend = (await post("computations", { name: "Spend", definition: { event: { type: "Order Completed" }, aggregate: "sum", property: "revenue" } })).id;
    const cohortId = (await post("cohorts", { name: "Spenders", definition: { type: "behavioral", match: { performed: { event: { type: "Order Completed" } } } } })).id;
    await ingest(["val-1", "val-2", "val-3"].map((u, i) => ({ user_id: u, event_type: "Order Completed", event_properties: { revenue: 10 * (i + 1) } })));
    await waitForSize(cohortId, 3);
    const hook = await post("destinations", { name: "Values hook", definition: { type: "webhook", url: destinationUrl } });
    const what = { kind: "properties", cohort_id: cohortId, computations: [{ id: spend, as: "spend" }] };
    const sync = (await post("syncs", { name: "Spend to hook", definition: { destination_id: hook.id, what, schedule: "manual", batch_size: 2 } })).id;

    // The first batch (val-1, val-2) lands; the second fails every attempt.
    const before = received.length;
    script = [{ status: 200 }, { status: 500 }, { status: 500 }, { status: 500 }, { status: 500 }];
    const failed = await admin<{ status: string; sent: number; failed: number }>("POST", `/syncs/${sync}/run?project=syncs`);
    expect(failed.json).toMatchObject({ status: "failed", sent: 2, failed: 1 });
    const resumed = await admin<{ status: string; sent: number }>("POST", `/syncs/${sync}/run?project=syncs`);
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
    expect((await admin<{ sent: number }>("POST", `/syncs/${sync}/run?project=syncs`)).json.sent).toBe(1);
    expect((JSON.parse(received[next]!.body) as ValueMessage).users).toEqual([{ user_id: "val-2", device_id: null, in_cohort: true, properties: { spend: 25 } }]);

    // Braze gets the same values as custom attributes.
    const braze = await post("destinations", { name: "Braze values", definition: { type: "braze", base_url: destinationUrl.replace("/hook", "/braze"), credentials: { api_key: "braze-key-2" } } });
    const toBraze = (await post("syncs", { name: "Spend to Braze", definition: { destination_id: braze.id, what, schedule: "manual" } })).id;
    const b0 = received.length;
    expect((await admin<{ status: string; sent: number }>("POST", `/syncs/${toBraze}/run?project=syncs`)).json).toMatchObject({ status: "succeeded", sent: 3 });
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
