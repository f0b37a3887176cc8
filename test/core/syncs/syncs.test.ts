import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { cohortWebhookMessages } from "../../../src/core/syncs/cohort-webhook";
import {
  CredentialsKeyError,
  importCredentialsKey,
  keepStoredCredentials,
  newCredentialsKey,
  openCredentials,
  openValue,
  redact,
  SEALED_PREFIX,
  sealCredentials,
  sealValue,
} from "../../../src/core/syncs/credentials";
import { parseRetryAfter, retryDelay } from "../../../src/core/syncs/retry";
import { netChanges } from "../../../src/core/syncs/diff";
import { digest, propertyChanges, propertyMessages, propertyNames, propertyValues } from "../../../src/core/syncs/property-diff";
import { dueAfterMs, isDue, nextRunAt, syncSchema, type Sync } from "../../../src/core/syncs/schema";
import { requestsFor } from "../../../src/core/syncs/destinations/requests";
import { newWebhookSecret, signWebhook } from "../../../src/core/syncs/standard-webhooks";

const row = (seq: number, profileKey: string, inCohort: boolean) => ({ seq, profileKey, inCohort, changedAt: seq * 1000 });

describe("netChanges", () => {
  it("collapses each profile's changes since the cursor to its net change", () => {
    expect(
      netChanges([
        row(1, "u:a", true), // a entered
        row(2, "u:b", true),
        row(3, "u:b", false), // b entered and left again: nothing to send
        row(4, "u:c", false),
        row(5, "u:c", true), // c left and came back: nothing to send
        row(6, "u:d", false), // d left
        row(7, "u:a", false),
        row(8, "u:a", true), // a: in, out, in → in
      ]),
    ).toEqual([
      { profileKey: "u:d", inCohort: false, changedAt: 6000, seq: 6 },
      { profileKey: "u:a", inCohort: true, changedAt: 8000, seq: 8 },
    ]);
  });
});

describe("cohort webhook messages", () => {
  it("Amplitude's shape, batched per run of one direction, with stable message ids", () => {
    const changes = netChanges([row(1, "u:a", true), row(2, "d:dev-1", true), row(3, "u:b", false)]);
    const messages = cohortWebhookMessages({ id: "coh_1", name: "VIP" }, "syn_1", changes, 1, Date.UTC(2026, 0, 1));
    expect(messages).toEqual([
      {
        cohort_name: "VIP",
        cohort_id: "coh_1",
        in_cohort: true,
        computed_time: "2026-01-01T00:00:00.000Z",
        message_id: "syn_1:coh_1:in:1-1",
        users: [{ user_id: "a", device_id: null }],
      },
      {
        cohort_name: "VIP",
        cohort_id: "coh_1",
        in_cohort: true,
        computed_time: "2026-01-01T00:00:00.000Z",
        message_id: "syn_1:coh_1:in:2-2",
        users: [{ user_id: null, device_id: "dev-1" }],
      },
      {
        cohort_name: "VIP",
        cohort_id: "coh_1",
        in_cohort: false,
        computed_time: "2026-01-01T00:00:00.000Z",
        message_id: "syn_1:coh_1:out:3-3",
        users: [{ user_id: "b", device_id: null }],
      },
    ]);
  });
});

describe("schedules", () => {
  const ran = (at: number, failedInARow = 0) => ({ at, failedInARow });
  it("due by cadence; manual never", () => {
    expect(isDue("minute", null, 0)).toBe(true);
    expect(isDue("minute", ran(0), 59_000)).toBe(true); // within the slack
    expect(isDue("minute", ran(0), 50_000)).toBe(false);
    expect(isDue("hourly", ran(0), 3_000_000)).toBe(false);
    expect(isDue("hourly", ran(0), 3_600_000)).toBe(true);
    expect(isDue("daily", ran(0), 86_400_000)).toBe(true);
    expect(isDue("manual", null, 0)).toBe(false);
  });

  it("after failed runs a sync is due again sooner: 1, 4, 16, 64 minutes, never later than its cadence", () => {
    expect([1, 2, 3, 4, 5].map((n) => dueAfterMs("daily", n))).toEqual([60_000, 240_000, 960_000, 3_840_000, 15_360_000]);
    expect(dueAfterMs("hourly", 4)).toBe(3_600_000);
    expect(dueAfterMs("daily", 0)).toBe(86_400_000);
    expect(isDue("daily", ran(0, 1), 60_000)).toBe(true);
    expect(isDue("daily", ran(0, 2), 60_000)).toBe(false);
    expect(isDue("daily", ran(0, 2), 240_000)).toBe(true);
  });

  it("the next run is the first minute tick at which isDue holds", () => {
    const T = 1_800_000_000_000; // a minute boundary
    expect(nextRunAt("manual", null, T)).toBeNull();
    expect(nextRunAt("minute", null, T + 1)).toBe(T + 60_000);
    expect(nextRunAt("minute", ran(T), T + 10_000)).toBe(T + 60_000);
    expect(nextRunAt("hourly", ran(T), T + 10_000)).toBe(T + 3_600_000);
    expect(nextRunAt("daily", ran(T - 86_400_000), T + 30_000)).toBe(T + 60_000); // overdue: the coming tick
    expect(nextRunAt("daily", ran(T, 2), T + 10_000)).toBe(T + 240_000);
    for (const [schedule, last, now] of [
      ["minute", ran(T), T + 1],
      ["hourly", ran(T + 7_000), T + 9_000],
      ["daily", null, T + 59_999],
      ["daily", ran(T + 7_000, 3), T + 9_000],
    ] as const) {
      const next = nextRunAt(schedule, last, now)!;
      expect(next % 60_000, schedule).toBe(0);
      expect(isDue(schedule, last, next), schedule).toBe(true);
      expect(next - 60_000 < now || !isDue(schedule, last, next - 60_000), schedule).toBe(true);
    }
  });

  it("credentials are redacted", () => {
    expect(redact({ type: "webhook", url: "https://x", credentials: { signing_secret: "whsec_x" } })).toEqual({
      type: "webhook",
      url: "https://x",
      credentials: { signing_secret: "(set)" },
    });
  });

  it("an edit keeps stored credentials it leaves out or sends back redacted, and takes new ones", () => {
    const stored = { type: "braze", credentials: { api_key: "enc:v1:old", app_id: "enc:v1:app" } };
    expect(keepStoredCredentials({ type: "braze", attribute: "vip" }, stored)).toEqual({ type: "braze", attribute: "vip", credentials: stored.credentials });
    expect(keepStoredCredentials(redact({ ...stored, attribute: "vip" }), stored)).toEqual({ ...stored, attribute: "vip" });
    expect(keepStoredCredentials({ type: "braze", credentials: { api_key: "new-key", app_id: "(set)" } }, stored)).toEqual({
      type: "braze",
      credentials: { api_key: "new-key", app_id: "enc:v1:app" },
    });
    // Nothing stored under that name: the marker is taken as given (and fails the destination's own checks).
    expect(keepStoredCredentials({ type: "webhook", credentials: { signing_secret: "(set)" } }, { type: "webhook" })).toEqual({
      type: "webhook",
      credentials: { signing_secret: "(set)" },
    });
  });
});

describe("Standard Webhooks signatures", () => {
  it("verify with the reference implementation, and fail when tampered", async () => {
    const secret = newWebhookSecret();
    const body = JSON.stringify({ cohort_id: "coh_1", users: [] });
    const now = Math.floor(Date.now() / 1000);
    const headers = await signWebhook(secret, "msg_1", now, body);
    const verifier = new Webhook(secret);
    expect(verifier.verify(body, headers)).toEqual({ cohort_id: "coh_1", users: [] });
    expect(() => verifier.verify(body.replace("coh_1", "coh_2"), headers)).toThrow();
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow();
  });
});

describe("Braze /users/track requests", () => {
  it("one boolean attribute per cohort, 75 users per request, device-only profiles skipped, bearer auth", async () => {
    const changes = netChanges([...Array.from({ length: 80 }, (_, i) => row(i + 1, `u:user-${i}`, true)), row(81, "d:dev-1", true), row(82, "u:gone", false)]);
    const messages = cohortWebhookMessages({ id: "coh_1", name: "VIP" }, "syn_1", changes, 1000, 0);
    const requests = requestsFor({ type: "braze", base_url: "https://rest.example.braze.com/", credentials: { api_key: "k-1" } }, messages);
    expect(requests.map((r) => [r.method, r.url, r.users, r.id])).toEqual([
      ["POST", "https://rest.example.braze.com/users/track", 75, "syn_1:coh_1:in:1-81#0"],
      ["POST", "https://rest.example.braze.com/users/track", 5, "syn_1:coh_1:in:1-81#1"],
      ["POST", "https://rest.example.braze.com/users/track", 1, "syn_1:coh_1:out:82-82#0"],
    ]);
    expect(await requests[0]!.headers(0)).toEqual({ "content-type": "application/json", authorization: "Bearer k-1" });
    expect(JSON.parse(requests[1]!.body)).toEqual({ attributes: [75, 76, 77, 78, 79].map((i) => ({ external_id: `user-${i}`, cohort_coh_1: true })) });
    expect(JSON.parse(requests[2]!.body)).toEqual({ attributes: [{ external_id: "gone", cohort_coh_1: false }] });
  });
});

describe("list destinations: exact requests", () => {
  const changes = netChanges([row(1, "u:a", true), row(2, "u:b", true), row(3, "u:c", false)]);
  const messages = cohortWebhookMessages({ id: "coh_1", name: "VIP" }, "syn_1", changes, 1000, 0);
  const idOf = (u: { user_id: string | null }) => (u.user_id === "b" ? null : `id-${u.user_id}`);

  it("HubSpot: PUT memberships/add and /remove with record ids, bearer token", async () => {
    const requests = requestsFor(
      { type: "hubspot", base_url: "https://hs.example", list_id: "42", id_property: "hubspot_id", credentials: { access_token: "tok" } },
      messages,
      idOf,
    );
    expect(requests.map((r) => [r.method, r.url, r.body, r.users])).toEqual([
      ["PUT", "https://hs.example/crm/v3/lists/42/memberships/add", '["id-a"]', 1],
      ["PUT", "https://hs.example/crm/v3/lists/42/memberships/remove", '["id-c"]', 1],
    ]);
    expect(await requests[0]!.headers(0)).toEqual({ "content-type": "application/json", authorization: "Bearer tok" });
  });

  it("Klaviyo: POST / DELETE relationships/profiles in JSON:API shape, with revision", async () => {
    const requests = requestsFor(
      { type: "klaviyo", base_url: "https://kl.example", list_id: "L1", revision: "2024-10-15", id_property: "klaviyo_id", credentials: { api_key: "pk" } },
      messages,
      idOf,
    );
    expect(requests.map((r) => [r.method, r.url, JSON.parse(r.body)])).toEqual([
      ["POST", "https://kl.example/api/lists/L1/relationships/profiles", { data: [{ type: "profile", id: "id-a" }] }],
      ["DELETE", "https://kl.example/api/lists/L1/relationships/profiles", { data: [{ type: "profile", id: "id-c" }] }],
    ]);
    expect(await requests[0]!.headers(0)).toEqual({
      "content-type": "application/vnd.api+json",
      accept: "application/vnd.api+json",
      revision: "2024-10-15",
      authorization: "Klaviyo-API-Key pk",
    });
  });

  it("Facebook: POST / DELETE audience users with the EMAIL_SHA256 schema", async () => {
    const requests = requestsFor(
      {
        type: "facebook",
        base_url: "https://graph.example",
        api_version: "v21.0",
        audience_id: "A9",
        email_property: "email",
        credentials: { access_token: "fb" },
      },
      messages,
      idOf,
    );
    expect(requests.map((r) => [r.method, r.url, JSON.parse(r.body)])).toEqual([
      ["POST", "https://graph.example/v21.0/A9/users?access_token=fb", { payload: { schema: "EMAIL_SHA256", data: ["id-a"] } }],
      ["DELETE", "https://graph.example/v21.0/A9/users?access_token=fb", { payload: { schema: "EMAIL_SHA256", data: ["id-c"] } }],
    ]);
  });
});

describe("property sync diff", () => {
  const what = syncSchema.parse({
    destination_id: "d",
    what: { kind: "properties", cohort_id: "c", computations: [{ id: "cmp_1", as: "spend" }], predictions: [{ id: "prd_1" }] },
  }).what as Extract<Sync["what"], { kind: "properties" }>;
  const values = (spend: number | null, pct: number | null) => ({ spend, prd_1_pct: pct });

  it("names values by `as` or by id, missing ones null", () => {
    expect(propertyValues(what, { computations: { cmp_1: 12 }, scores: {} })).toEqual(values(12, null));
    expect(propertyValues(what, { computations: {}, scores: { prd_1: { score: 0.4, pct: 71 } } })).toEqual(values(null, 71));
    expect(propertyNames(what)).toEqual(["spend", "prd_1_pct"]);
  });

  it("sends new and changed members, clears former ones, and nothing that was already delivered", () => {
    const current = new Map([
      ["u:a", values(1, 50)],
      ["u:b", values(2, 60)],
      ["u:c", values(3, 70)],
    ]);
    const delivered = new Map([
      ["u:a", digest(values(1, 50))],
      ["u:b", digest(values(2, 59))],
      ["u:gone", digest(values(9, 9))],
    ]);
    const changes = propertyChanges(current, delivered, propertyNames(what));
    expect(changes.map((c) => [c.profileKey, c.inCohort, c.properties])).toEqual([
      ["u:b", true, values(2, 60)],
      ["u:c", true, values(3, 70)],
      ["u:gone", false, values(null, null)],
    ]);
    expect(changes.at(-1)!.digest).toBeNull();
    // Key order never matters to the comparison.
    expect(digest({ b: 1, a: 2 })).toBe(digest({ a: 2, b: 1 }));
  });

  it("batches into messages whose ids depend only on their content", () => {
    const changes = propertyChanges(
      new Map([
        ["u:a", values(1, 1)],
        ["d:x", values(2, 2)],
        ["u:b", values(3, 3)],
      ]),
      new Map(),
      ["spend", "prd_1_pct"],
    );
    const one = propertyMessages("syn_1", "c", changes, 2, 0);
    const two = propertyMessages("syn_1", "c", changes, 2, 99_999);
    expect(one.map((m) => m.message.users.length)).toEqual([2, 1]);
    expect(one.map((m) => m.message.message_id)).toEqual(two.map((m) => m.message.message_id));
    expect(new Set(one.map((m) => m.message.message_id)).size).toBe(2);
    expect(one[0]!.message.users[0]).toEqual({ user_id: null, device_id: "x", in_cohort: true, properties: values(2, 2) });
  });

  it("requires at least one value", () => {
    expect(syncSchema.safeParse({ destination_id: "d", what: { kind: "properties", cohort_id: "c" } }).success).toBe(false);
  });
});

describe("credentials at rest", () => {
  const key = newCredentialsKey();
  const braze = { type: "braze", base_url: "https://rest.example", credentials: { api_key: "braze-secret-1" } };

  it("seal every value with AES-GCM under the key and open back to the same definition", async () => {
    const sealed = await sealCredentials(braze, key, "dst_1");
    const stored = (sealed.credentials as { api_key: string }).api_key;
    expect(stored.startsWith(SEALED_PREFIX)).toBe(true);
    expect(JSON.stringify(sealed)).not.toContain("braze-secret-1");
    expect({ ...sealed, credentials: undefined }).toEqual({ ...braze, credentials: undefined });
    expect(await openCredentials(sealed, key, "dst_1")).toEqual(braze);
    // A fresh IV each time: the same secret never looks the same twice.
    expect(((await sealCredentials(braze, key, "dst_1")).credentials as { api_key: string }).api_key).not.toBe(stored);
    // Sealing what is sealed changes nothing (and needs no key).
    expect(await sealCredentials(sealed, undefined, "dst_1")).toEqual(sealed);
  });

  it("open only under the same key, destination and field", async () => {
    const k = await importCredentialsKey(key);
    const sealed = await sealValue(k, "tok", "destination dst_1 credentials.api_key");
    expect(await openValue(k, sealed, "destination dst_1 credentials.api_key")).toBe("tok");
    await expect(openValue(k, sealed, "destination dst_2 credentials.api_key")).rejects.toThrow(CredentialsKeyError);
    await expect(openValue(await importCredentialsKey(newCredentialsKey()), sealed, "destination dst_1 credentials.api_key")).rejects.toThrow(/does not open/);
    await expect(openValue(k, `${sealed.slice(0, -4)}AAAA`, "destination dst_1 credentials.api_key")).rejects.toThrow(CredentialsKeyError);
    await expect(openValue(k, `${SEALED_PREFIX}not base64!`, "destination dst_1 credentials.api_key")).rejects.toThrow(CredentialsKeyError);
  });

  it("values stored before encryption (no prefix) open as themselves, without a key", async () => {
    expect(await openCredentials(braze, undefined, "dst_1")).toEqual(braze);
    expect(await openCredentials({ type: "r2_export", format: "csv" }, undefined, "dst_1")).toEqual({ type: "r2_export", format: "csv" });
  });

  it("a missing or malformed key is a clear error, never plain storage", async () => {
    await expect(sealCredentials(braze, undefined, "dst_1")).rejects.toThrow(/CREDENTIALS_KEY is not set/);
    await expect(sealCredentials(braze, "  ", "dst_1")).rejects.toThrow(/CREDENTIALS_KEY is not set/);
    await expect(sealCredentials(braze, btoa("too short"), "dst_1")).rejects.toThrow(/32 random bytes/);
    await expect(sealCredentials(braze, "%%% not base64", "dst_1")).rejects.toThrow(/32 random bytes/);
    // Nothing to seal: no key needed.
    expect(await sealCredentials({ type: "r2_export" }, undefined, "dst_1")).toEqual({ type: "r2_export" });
    const sealed = await sealCredentials(braze, key, "dst_1");
    await expect(openCredentials(sealed, undefined, "dst_1")).rejects.toThrow(/CREDENTIALS_KEY is not set/);
  });
});

describe("retry delays", () => {
  const now = Date.UTC(2026, 0, 1, 12, 0, 0);

  it("Retry-After in seconds or as an HTTP-date; anything else is ignored", () => {
    expect(parseRetryAfter("7", now)).toBe(7000);
    expect(parseRetryAfter(" 0 ", now)).toBe(0);
    expect(parseRetryAfter("Thu, 01 Jan 2026 12:00:09 GMT", now)).toBe(9000);
    expect(parseRetryAfter("Thu, 01 Jan 2026 11:59:00 GMT", now)).toBe(0); // already past
    expect(parseRetryAfter(null, now)).toBeNull();
    expect(parseRetryAfter("", now)).toBeNull();
    expect(parseRetryAfter("-3", now)).toBeNull();
    expect(parseRetryAfter("1.5", now)).toBeNull();
    expect(parseRetryAfter("soon", now)).toBeNull();
    expect(parseRetryAfter("2026-01-01", now)).toBeNull();
  });

  it("wait what Retry-After asks instead of the backoff, not on top of it", () => {
    expect(retryDelay(1, 500, "2", now, 30_000, 0.99)).toBe(2000);
    expect(retryDelay(3, 500, "0", now, 30_000, 0.99)).toBe(0);
    expect(retryDelay(2, 500, "Thu, 01 Jan 2026 12:00:05 GMT", now, 30_000, 0.5)).toBe(5000);
    // Longer than a run waits: give up (a later run resumes).
    expect(retryDelay(1, 500, "120", now, 30_000)).toBeNull();
    expect(retryDelay(1, 500, "Thu, 01 Jan 2026 13:00:00 GMT", now, 30_000)).toBeNull();
  });

  it("without Retry-After: exponential backoff with jitter (×0.5–1.5), capped", () => {
    expect(retryDelay(1, 500, null, now, 30_000, 0)).toBe(250);
    expect(retryDelay(1, 500, null, now, 30_000, 1)).toBe(750);
    expect(retryDelay(2, 500, null, now, 30_000, 0.5)).toBe(1000);
    expect(retryDelay(3, 500, "soon", now, 30_000, 0.5)).toBe(2000);
    expect(retryDelay(12, 500, null, now, 30_000, 0.5)).toBe(30_000);
  });
});
