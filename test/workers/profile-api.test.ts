import { env, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { profileObjectName } from "../../src/core/event";
import { admin, call, createProject, upload, user, type TestProject } from "./helpers";

let project: TestProject;
let spend: string;
let views: string;
let buyers: string;
let browsers: string;

const profileApi = (query: string, key = project.secretKey) => call(`/v1/userprofile?${query}`, { headers: { authorization: `Api-Key ${key}` } });

beforeAll(async () => {
  project = await createProject("profile-api");
  const def = async (kind: string, name: string, definition: unknown) => {
    const res = await admin(`/projects/${project.id}/${kind}`, { method: "POST", body: JSON.stringify({ name, definition }) });
    return (await res.json<{ id: string }>()).id;
  };
  spend = await def("computations", "Spend", { event: { type: "Order Completed" }, aggregate: "sum", property: "revenue" });
  views = await def("computations", "Views", { event: { type: "Viewed" }, aggregate: "count" });
  buyers = await def("cohorts", "Buyers", { type: "behavioral", match: { performed: { event: { type: "Order Completed" } } } });
  browsers = await def("cohorts", "Browsers", { type: "behavioral", match: { performed: { event: { type: "Viewed" }, op: ">=", value: 3 } } });
  const res = await upload({
    api_key: project.apiKey,
    events: [
      { device_id: "pa-device-1", event_type: "Viewed", user_properties: { $set: { theme: "dark" } } },
      { user_id: "pa-user-1", event_type: "Order Completed", event_properties: { revenue: 12.5 }, user_properties: { plan: "pro" } },
      { user_id: "pa-user-1", device_id: "pa-device-1", event_type: "Signed In" },
    ],
  });
  expect(res.status).toBe(200);
});

describe("GET /v1/userprofile (Amplitude's User Profile API)", () => {
  it("by default answers ids only, with every part null", async () => {
    const res = await profileApi("user_id=pa-user-1");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      userData: { recommendations: null, user_id: "pa-user-1", device_id: "pa-device-1", amp_props: null, cohort_ids: null },
    });
  });

  it("get_amp_props: user properties without computations", async () => {
    const body = await (await profileApi("user_id=pa-user-1&get_amp_props=true")).json<{ userData: { amp_props: unknown } }>();
    expect(body.userData.amp_props).toEqual({ plan: "pro", theme: "dark" });
  });

  it("get_computations: every computation as computed-prop-<id> strings; with get_amp_props both", async () => {
    const only = await (await profileApi("user_id=pa-user-1&get_computations=true")).json<{ userData: { amp_props: unknown } }>();
    expect(only.userData.amp_props).toEqual({ [`computed-prop-${spend}`]: "12.5", [`computed-prop-${views}`]: "1" });
    const both = await (await profileApi("user_id=pa-user-1&get_computations=true&get_amp_props=true")).json<{ userData: { amp_props: unknown } }>();
    expect(both.userData.amp_props).toEqual({ plan: "pro", theme: "dark", [`computed-prop-${spend}`]: "12.5", [`computed-prop-${views}`]: "1" });
  });

  it("comp_id: single (or comma-separated) computations; unknown ids are null", async () => {
    const body = await (await profileApi(`user_id=pa-user-1&comp_id=${spend},cmp_missing`)).json<{ userData: { amp_props: unknown } }>();
    expect(body.userData.amp_props).toEqual({ [`computed-prop-${spend}`]: "12.5", "computed-prop-cmp_missing": null });
  });

  it("get_cohort_ids", async () => {
    const body = await (await profileApi("user_id=pa-user-1&get_cohort_ids=true")).json<{ userData: { cohort_ids: string[] } }>();
    expect(body.userData.cohort_ids).toEqual([buyers]);
  });

  it("a device id merged into a user reads as that user", async () => {
    const body = await (await profileApi("device_id=pa-device-1&get_amp_props=true&get_cohort_ids=true")).json<{ userData: Record<string, unknown> }>();
    expect(body.userData).toMatchObject({ user_id: "pa-user-1", device_id: "pa-device-1", cohort_ids: [buyers], amp_props: { plan: "pro", theme: "dark" } });
  });

  it("predictions and recommendations are accepted and answered from what exists", async () => {
    const body = await (await profileApi("user_id=pa-user-1&get_propensity=true&prediction_id=p1,p2&propensity_type=pct&get_recs=true&rec_id=r1")).json<{
      userData: Record<string, unknown>;
    }>();
    expect(body.userData.propensity).toBeNull();
    expect(body.userData.propensities).toEqual([
      { prop: null, pred_id: "p1", prop_type: "pct" },
      { prop: null, pred_id: "p2", prop_type: "pct" },
    ]);
    expect(body.userData.recommendations).toEqual([
      { rec_id: "r1", child_rec_id: "r1", items: [], is_control: false, recommendation_source: "none", last_updated: null },
    ]);
  });

  it("Amplitude's errors: unknown user, missing or invalid key, bad parameters", async () => {
    const unknown = await profileApi("user_id=nobody-here");
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toEqual({ error: "User id and device id not seen before" });

    const missing = await call("/v1/userprofile?user_id=pa-user-1");
    expect(missing.status).toBe(401);
    expect(await missing.text()).toBe("Missing Api-Key in Authorization header");
    const invalid = await profileApi("user_id=pa-user-1", "wrong-key");
    expect(invalid.status).toBe(401);
    expect(await invalid.text()).toBe("Invalid Api-Key");
    const ingestKey = await profileApi("user_id=pa-user-1", project.apiKey);
    expect(ingestKey.status).toBe(401);

    const noId = await profileApi("get_amp_props=true");
    expect(noId.status).toBe(400);
    expect(await noId.json()).toEqual({ error: "Either user_id or device_id must be set" });
    const badBool = await profileApi("user_id=pa-user-1&get_amp_props=maybe");
    expect(badBool.status).toBe(400);
    expect(((await badBool.json()) as { error: string }).error).toMatch(/^Invalid parameter get_amp_props/);
    const noRec = await profileApi("user_id=pa-user-1&get_recs=true");
    expect(await noRec.json()).toEqual({ error: "rec_id is required when get_recs is true" });
  });

  it("an unknown user leaves no storage behind", async () => {
    await profileApi("user_id=ghost-user-xyz&get_cohort_ids=true");
    const stub = env.USER_PROFILE.getByName(profileObjectName(project.id, user("ghost-user-xyz")));
    const tables = await runInDurableObject(stub, (_, s) => s.storage.sql.exec("SELECT name FROM sqlite_master").toArray());
    expect(tables).toEqual([]);
  });
});

describe("GET /v1/personalize (public key, browser-safe)", () => {
  const personalize = (query: string, headers: Record<string, string> = {}) => call(`/v1/personalize?api_key=${project.apiKey}&${query}`, { headers });

  it("reveals only what the project made public, to allowed origins, with ETag/304", async () => {
    const settings = await admin(`/projects/${project.id}/settings`, {
      method: "PUT",
      body: JSON.stringify({ personalize: { cohorts: [buyers, browsers], computations: [views], origins: ["https://shop.example"] } }),
    });
    expect(settings.status).toBe(200);

    const res = await personalize("user_id=pa-user-1", { origin: "https://shop.example" });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://shop.example");
    expect(res.headers.get("cache-control")).toBe("private, no-cache");
    expect(await res.json()).toEqual({ cohorts: { [buyers]: true, [browsers]: false }, computations: { [views]: 1 }, recommendations: [] });

    const tag = res.headers.get("etag");
    expect(tag).toBeTruthy();
    const again = await personalize("user_id=pa-user-1", { origin: "https://shop.example", "if-none-match": tag! });
    expect(again.status).toBe(304);

    // A new event changes the profile, so the ETag no longer matches.
    await upload({ api_key: project.apiKey, events: [{ user_id: "pa-user-1", event_type: "Viewed" }] });
    const changed = await personalize("user_id=pa-user-1", { origin: "https://shop.example", "if-none-match": tag! });
    expect(changed.status).toBe(200);
    expect(((await changed.json()) as { computations: Record<string, number> }).computations[views]).toBe(2);
  });

  it("CORS: preflight for allowed origins; other origins are refused", async () => {
    const pre = await call(`/v1/personalize?api_key=${project.apiKey}`, {
      method: "OPTIONS",
      headers: { origin: "https://shop.example", "access-control-request-method": "GET" },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("https://shop.example");
    const evil = await personalize("user_id=pa-user-1", { origin: "https://evil.example" });
    expect(evil.status).toBe(403);
    expect(evil.headers.get("access-control-allow-origin")).toBeNull();
    const evilPre = await call(`/v1/personalize?api_key=${project.apiKey}`, { method: "OPTIONS", headers: { origin: "https://evil.example" } });
    expect(evilPre.status).toBe(403);
  });

  it("unknown visitors get the same shape; bad keys and missing ids are clear 4xx", async () => {
    const stranger = await personalize("user_id=never-seen-visitor", { origin: "https://shop.example" });
    expect(await stranger.json()).toEqual({ cohorts: { [buyers]: false, [browsers]: false }, computations: { [views]: null }, recommendations: [] });
    expect((await call("/v1/personalize?api_key=nope&user_id=x")).status).toBe(401);
    expect((await personalize("")).status).toBe(400);
  });

  it("settings are validated", async () => {
    const bad = await admin(`/projects/${project.id}/settings`, { method: "PUT", body: JSON.stringify({ personalize: { origins: ["shop.example/path"] } }) });
    expect(bad.status).toBe(400);
    expect((await bad.json<{ error: { details: { field: string }[] } }>()).error.details[0]?.field).toBe("personalize.origins.0");
  });
});

describe("per-project rate limit", () => {
  it("answers Amplitude's 429 past the project's limit, without touching other projects", async () => {
    const busy = await createProject("profile-api-busy");
    await upload({ api_key: busy.apiKey, events: [{ user_id: "busy-user-1", event_type: "A" }] });
    const statuses: number[] = [];
    // The limiter counts per fixed minute: 100 tries put more than 40 in one window even when they straddle two.
    for (let i = 0; i < 100; i++) {
      const res = await call("/v1/userprofile?user_id=busy-user-1", { headers: { authorization: `Api-Key ${busy.secretKey}` } });
      statuses.push(res.status);
      if (res.status === 429) {
        expect(await res.json()).toEqual({ error: "Number of requests per minute exceeds system limit. Contact Support if you need this limit raised" });
        break;
      }
    }
    expect(statuses.at(-1)).toBe(429);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(30);
    expect((await profileApi("user_id=pa-user-1")).status).toBe(200);
  });
});
