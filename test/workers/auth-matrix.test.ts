import { beforeAll, describe, expect, it } from "vitest";
import { admin, ADMIN_TOKEN, call, createProject, upload, type TestProject } from "./helpers";

// Who may do what: the public ingest key only writes; the secret key reads its own
// project (profile and cohort APIs, the privacy API) and never administers; the admin
// token administers.
// Nothing of project A is visible with project B's keys.
let a: TestProject;
let b: TestProject;
let cohortOfB: string;

beforeAll(async () => {
  a = await createProject("auth-a");
  b = await createProject("auth-b");
  const created = await admin(`/projects/${b.id}/cohorts`, {
    method: "POST",
    body: JSON.stringify({ name: "B's buyers", definition: { type: "behavioral", match: { performed: { event: { type: "Order Completed" } } } } }),
  });
  cohortOfB = (await created.json<{ id: string }>()).id;
  expect((await upload({ api_key: a.apiKey, events: [{ user_id: "only-in-a", event_type: "Order Completed" }] })).status).toBe(200);
  expect((await upload({ api_key: b.apiKey, events: [{ user_id: "only-in-b", event_type: "Order Completed" }] })).status).toBe(200);
});

const basic = (user: string, password: string) => `Basic ${btoa(`${user}:${password}`)}`;
const profileRead = (key: string, userId: string) =>
  call(`/v1/userprofile?user_id=${userId}&get_amp_props=true`, { headers: { authorization: `Api-Key ${key}` } });
const cohortList = (authorization: string) => call("/api/3/cohorts", { headers: { authorization } });
const adminAs = (authorization: string, path = "/admin/api/projects") => call(path, { headers: { authorization } });
/** Amplitude's User Privacy API: POST requests a deletion, GET lists them. */
const privacy = (authorization: string, body?: unknown) =>
  call(
    "/api/2/deletions/users",
    body === undefined
      ? { headers: { authorization } }
      : { method: "POST", headers: { authorization, "content-type": "application/json" }, body: JSON.stringify(body) },
  );

describe("the ingest key cannot read", () => {
  it("profiles", async () => {
    const res = await profileRead(a.apiKey, "only-in-a");
    expect(res.status).toBe(401);
    expect(await res.text()).toBe("Invalid Api-Key");
  });

  it("cohorts (as either half of the Basic pair)", async () => {
    expect((await cohortList(basic(a.apiKey, a.apiKey))).status).toBe(401);
    expect((await cohortList(basic(a.apiKey, ""))).status).toBe(401);
  });

  it("cohort downloads", async () => {
    const res = await call(`/api/5/cohorts/request/${cohortOfB}`, { headers: { authorization: basic(b.apiKey, b.apiKey) } });
    expect(res.status).toBe(401);
  });

  it("the privacy API: it can neither request a deletion nor list them", async () => {
    for (const authorization of [basic(a.apiKey, a.apiKey), basic(a.apiKey, ""), basic(a.apiKey, b.apiKey), `Bearer ${a.apiKey}`, `Api-Key ${a.apiKey}`]) {
      const post = await privacy(authorization, { user_ids: ["only-in-a"] });
      expect(post.status, authorization).toBe(401);
      expect(await post.json(), authorization).toMatchObject({ error: { http_code: 401, type: "unauthorized" } });
      expect((await privacy(authorization)).status, authorization).toBe(401);
    }
    const jobs = await admin(`/projects/${a.id}/deletions`);
    expect(await jobs.json()).toEqual({ deletions: [] });
    // The same route with the key pair answers, so the 401s above are the ingest key's.
    expect((await privacy(basic(a.apiKey, a.secretKey))).status).toBe(200);
  });

  it("the admin API", async () => {
    expect((await adminAs(`Bearer ${a.apiKey}`)).status).toBe(401);
    expect((await adminAs(`Bearer ${a.apiKey}`, `/admin/api/projects/${a.id}/users?user_id=only-in-a`)).status).toBe(401);
  });
});

describe("the secret key", () => {
  it("reads its own project's profiles and cohorts", async () => {
    expect((await profileRead(a.secretKey, "only-in-a")).status).toBe(200);
    expect((await cohortList(basic(b.apiKey, b.secretKey))).status).toBe(200);
  });

  it("cannot use the admin API", async () => {
    for (const authorization of [`Bearer ${a.secretKey}`, basic(a.apiKey, a.secretKey), `Api-Key ${a.secretKey}`]) {
      const res = await adminAs(authorization);
      expect(res.status, authorization).toBe(401);
      expect(await res.json()).toMatchObject({ error: { code: "unauthorized" } });
    }
  });

  it("is not an ingest key on any ingestion API", async () => {
    const amplitude = await upload({ api_key: a.secretKey, events: [{ user_id: "only-in-a", event_type: "A" }] });
    expect(amplitude.status).toBe(400);
    const segment = await call("/v1/track", {
      method: "POST",
      headers: { authorization: basic(a.secretKey, "") },
      body: JSON.stringify({ userId: "only-in-a", event: "A" }),
    });
    expect(segment.status).toBe(401);
    const posthog = await call("/batch/", {
      method: "POST",
      body: JSON.stringify({ api_key: a.secretKey, batch: [{ event: "A", distinct_id: "only-in-a" }] }),
    });
    expect(posthog.status).toBe(401);
  });
});

describe("projects are isolated", () => {
  it("A's secret key does not see B's users, nor B's A's", async () => {
    const res = await profileRead(a.secretKey, "only-in-b");
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "User id and device id not seen before" });
    expect((await profileRead(b.secretKey, "only-in-a")).status).toBe(400);
    expect((await profileRead(b.secretKey, "only-in-b")).status).toBe(200);
  });

  it("A's keys list only A's cohorts, and cannot download B's", async () => {
    const res = await cohortList(basic(a.apiKey, a.secretKey));
    expect((await res.json<{ cohorts: unknown[] }>()).cohorts).toEqual([]);
    const download = await call(`/api/5/cohorts/request/${cohortOfB}`, { headers: { authorization: basic(a.apiKey, a.secretKey) } });
    expect(download.status).toBe(404);
  });

  it("keys from two projects do not combine", async () => {
    expect((await cohortList(basic(a.apiKey, b.secretKey))).status).toBe(401);
    expect((await cohortList(basic(b.apiKey, a.secretKey))).status).toBe(401);
  });

  it("events sent with A's ingest key land only in A", async () => {
    await call("/v1/track", { method: "POST", headers: { authorization: basic(a.apiKey, "") }, body: JSON.stringify({ userId: "written-by-a", event: "A" }) });
    expect((await profileRead(a.secretKey, "written-by-a")).status).toBe(200);
    expect((await profileRead(b.secretKey, "written-by-a")).status).toBe(400);
  });
});

describe("the admin API takes only the admin token", () => {
  it("none, wrong, or right", async () => {
    expect((await call("/admin/api/projects")).status).toBe(401);
    expect((await adminAs("Bearer wrong-token")).status).toBe(401);
    expect((await adminAs(`Bearer ${ADMIN_TOKEN}`)).status).toBe(200);
  });

  it("the admin token is not a secret key", async () => {
    expect((await profileRead(ADMIN_TOKEN, "only-in-a")).status).toBe(401);
    expect((await cohortList(basic(a.apiKey, ADMIN_TOKEN))).status).toBe(401);
  });
});

describe("secure mode for /v1/personalize", () => {
  it("once required, the public key reads a user only with that user's user_hash; device ids as the project allows", async () => {
    const p = await createProject("auth-secure");
    expect((await upload({ api_key: p.apiKey, events: [{ user_id: "secure-user", device_id: "secure-device", event_type: "Viewed" }] })).status).toBe(200);
    const personalize = (query: string) => call(`/v1/personalize?api_key=${p.apiKey}&${query}`);
    const settings = (identity_verification: object) =>
      admin(`/projects/${p.id}/settings`, { method: "PUT", body: JSON.stringify({ personalize: { identity_verification } }) });
    expect((await personalize("user_id=secure-user")).status).toBe(200);

    expect((await settings({ required: true })).status).toBe(200);
    const { key } = await (await admin(`/projects/${p.id}/personalize-key`)).json<{ key: string }>();
    const hash = async (id: string) => {
      const k = await crypto.subtle.importKey("raw", new Uint8Array(key.match(/../g)!.map((b) => parseInt(b, 16))), { name: "HMAC", hash: "SHA-256" }, false, [
        "sign",
      ]);
      return [...new Uint8Array(await crypto.subtle.sign("HMAC", k, new TextEncoder().encode(id)))].map((b) => b.toString(16).padStart(2, "0")).join("");
    };
    const missing = await personalize("user_id=secure-user");
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ error: { code: "unauthorized", details: [{ field: "user_hash" }] } });
    // Another user's hash, and a hash that is not hex, are refused too.
    expect((await personalize(`user_id=secure-user&user_hash=${await hash("someone-else")}`)).status).toBe(401);
    expect((await personalize("user_id=secure-user&user_hash=nothex")).status).toBe(400);
    expect((await personalize(`user_id=secure-user&user_hash=${await hash("secure-user")}`)).status).toBe(200);
    expect((await personalize("device_id=secure-device")).status).toBe(200);

    expect((await settings({ required: true, allow_device_ids: false })).status).toBe(200);
    expect((await personalize("device_id=secure-device")).status).toBe(401);
    // A rotation changes the key: the old hash no longer reads.
    expect((await settings({ required: true, rotation: 1 })).status).toBe(200);
    expect((await personalize(`user_id=secure-user&user_hash=${await hash("secure-user")}`)).status).toBe(401);
  });
});
