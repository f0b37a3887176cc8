import { beforeAll, describe, expect, it } from "vitest";
import { call, createProject, device, profile, upload, user, type TestProject } from "./helpers";

// PostHog's capture API: /batch/, /capture/, /e/, /i/v0/e/.
let project: TestProject;
beforeAll(async () => {
  project = await createProject("posthog");
});

const gzip = async (text: string) => new Uint8Array(await new Response(new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer());

function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return call(path, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body),
  });
}

describe("PostHog endpoints store events and answer {status: 1}", () => {
  it("/batch/: captures, $identify with $set/$set_once, $set, uuid dedupe", async () => {
    const batch = [
      { event: "Product Viewed", distinct_id: "ph-user-1", uuid: "ph-u-1", properties: { product_id: "p-1" } },
      { event: "$identify", distinct_id: "ph-user-1", uuid: "ph-u-2", properties: { $set: { plan: "pro" }, $set_once: { first: "x" } } },
      { event: "$set", distinct_id: "ph-user-1", uuid: "ph-u-3", properties: { $set: { seats: 3 }, $unset: ["first"] } },
    ];
    const res = await post("/batch/", { api_key: project.apiKey, batch, sent_at: new Date().toISOString() });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 1 });
    expect((await post("/batch/", { api_key: project.apiKey, batch })).status).toBe(200);
    const stub = profile(project.id, user("ph-user-1"));
    expect((await stub.getEvents()).map((e) => e.event_type)).toEqual(["Product Viewed", "$identify", "$set"]);
    expect((await stub.getProfile())!.user_properties).toEqual({ plan: "pro", seats: 3 });
  });

  it("/batch without the slash is still Amplitude's Batch API", async () => {
    const res = await upload({ api_key: project.apiKey, events: [{ user_id: "amp-user-1", event_type: "A" }] }, "/batch");
    expect(await res.json()).toMatchObject({ code: 200, events_ingested: 1 });
  });

  it("/capture/, /e/ and /i/v0/e/ take one event or an array (key in properties.token)", async () => {
    expect((await post("/capture/", { api_key: project.apiKey, event: "One", distinct_id: "ph-user-2" })).status).toBe(200);
    expect((await post("/e/", [{ event: "Two", distinct_id: "ph-user-2", properties: { token: project.apiKey } }])).status).toBe(200);
    expect((await post("/i/v0/e/", { api_key: project.apiKey, event: "Three", distinct_id: "ph-user-2" })).status).toBe(200);
    const events = await profile(project.id, user("ph-user-2")).getEvents();
    expect(events.map((e) => e.event_type)).toEqual(["One", "Two", "Three"]);
    expect(events[1]!.event_properties).toEqual({});
  });

  it("anonymous events go to the device; $identify with $anon_distinct_id links it to the user", async () => {
    const anon = { event: "$pageview", distinct_id: "ph-anon-3", properties: { $device_id: "ph-anon-3" } };
    expect((await post("/batch/", { api_key: project.apiKey, batch: [anon] })).status).toBe(200);
    expect(await profile(project.id, device("ph-anon-3")).getEvents()).toHaveLength(1);
    const identify = { event: "$identify", distinct_id: "ph-user-3", properties: { $anon_distinct_id: "ph-anon-3" } };
    expect((await post("/batch/", { api_key: project.apiKey, batch: [identify] })).status).toBe(200);
    expect((await profile(project.id, user("ph-user-3")).getEvents()).map((e) => e.event_type).sort()).toEqual(["$identify", "$pageview"]);
    expect(await profile(project.id, device("ph-anon-3")).getProfile()).toMatchObject({ user_id: "ph-user-3" });
  });

  it("gzip by header, by ?compression=gzip-js, and form-encoded data= (base64)", async () => {
    const body = (event: string) => JSON.stringify({ api_key: project.apiKey, batch: [{ event, distinct_id: "ph-user-4" }] });
    expect((await post("/batch/", await gzip(body("Header")), { "content-encoding": "gzip" })).status).toBe(200);
    expect((await post("/e/?compression=gzip-js", await gzip(body("Query")), { "content-type": "text/plain" })).status).toBe(200);
    const form = new URLSearchParams({ data: btoa(body("Form")) }).toString();
    expect((await post("/e/", form, { "content-type": "application/x-www-form-urlencoded" })).status).toBe(200);
    // posthog-js in a browser: gzip posted as text/plain with no hint in the URL or headers, known by its magic bytes.
    expect((await post("/e/", await gzip(body("Sniffed")), { "content-type": "text/plain" })).status).toBe(200);
    expect((await profile(project.id, user("ph-user-4")).getEvents()).map((e) => e.event_type)).toEqual(["Header", "Query", "Form", "Sniffed"]);
  });
});

describe("PostHog errors", () => {
  it("missing or unknown api_key: 401 authentication_error", async () => {
    const missing = await post("/batch/", { batch: [{ event: "A", distinct_id: "ph-x" }] });
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ type: "authentication_error", code: "missing_api_key", attr: null });
    for (const key of ["phc_nope", project.secretKey]) {
      const res = await post("/batch/", { api_key: key, batch: [{ event: "A", distinct_id: "ph-x" }] });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ type: "authentication_error", code: "invalid_api_key" });
    }
  });

  it("bad events: 400 naming the first as attr and each in errors; nothing stored", async () => {
    const res = await post("/batch/", {
      api_key: project.apiKey,
      batch: [{ event: "Good", distinct_id: "ph-user-5" }, { distinct_id: "ph-user-5" }, { event: "B", distinct_id: "ph-user-5", properties: [] }],
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      type: "validation_error",
      code: "invalid_payload",
      detail: expect.stringMatching(/^2 invalid event\(s\)/),
      attr: "batch.1.event",
      errors: [
        { index: 1, field: "event", message: expect.any(String) },
        { index: 2, field: "properties", message: expect.any(String) },
      ],
    });
    expect(await profile(project.id, user("ph-user-5")).getEvents()).toEqual([]);
  });

  it("bad JSON, wrong content type, bad gzip: 400; oversized: 413", async () => {
    const cases: [unknown, Record<string, string>, number][] = [
      ["{", {}, 400],
      ["{}", { "content-type": "text/csv" }, 400],
      [new Uint8Array([0x1f, 0x8b, 1, 2, 3]), { "content-encoding": "gzip" }, 400],
      ["data=%%%", { "content-type": "application/x-www-form-urlencoded" }, 400],
      ["x".repeat(20_000_001), {}, 413],
    ];
    for (const [body, headers, status] of cases) {
      const res = await post("/batch/", body, headers);
      expect(res.status).toBe(status);
      expect(await res.json()).toMatchObject({ type: "validation_error", detail: expect.any(String) });
    }
  });
});
