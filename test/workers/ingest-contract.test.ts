import { describe, expect, it, beforeAll } from "vitest";
import { createProject, profile, upload, user, type TestProject, call } from "./helpers";

let project: TestProject;
beforeAll(async () => {
  project = await createProject("contract");
});

const event = (i: number, extra: Record<string, unknown> = {}) => ({
  user_id: `user-${i % 3}-abc`,
  event_type: "Page Viewed",
  insert_id: `ins-${i}`,
  ...extra,
});

describe("POST /2/httpapi success", () => {
  it("answers Amplitude's 200 body and stores the events in the user's profile", async () => {
    const body = JSON.stringify({ api_key: project.apiKey, events: [event(0), event(3)] });
    const res = await upload(body);
    expect(res.status).toBe(200);
    const json = await res.json<Record<string, number>>();
    expect(json).toEqual({
      code: 200,
      events_ingested: 2,
      payload_size_bytes: new TextEncoder().encode(body).byteLength,
      server_upload_time: expect.any(Number),
    });
    const events = await profile(project.id, user("user-0-abc")).getEvents();
    expect(events.map((e) => e.insert_id)).toEqual(["ins-0", "ins-3"]);
  });

  it("ignores unknown top-level keys that SDKs send", async () => {
    const res = await upload({
      api_key: project.apiKey,
      events: [event(10)],
      options: {},
      client_upload_time: "2026-11-25T00:00:00.000Z",
      request_metadata: { sdk: { metrics: { histogram: {} } } },
    });
    expect(res.status).toBe(200);
  });
});

describe("request-level 400s", () => {
  it("missing api_key", async () => {
    const res = await upload({ events: [event(1)] });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ code: 400, error: "Request missing required field", missing_field: "api_key" });
  });

  it("missing or empty events", async () => {
    for (const events of [undefined, []]) {
      const res = await upload({ api_key: project.apiKey, events });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ code: 400, error: "Request missing required field", missing_field: "events" });
    }
  });

  it("empty body", async () => {
    const res = await upload("");
    expect(await res.json()).toEqual({ code: 400, error: "Missing request body" });
  });

  it("malformed JSON", async () => {
    const res = await upload('{"api_key": "x", "events": [');
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ code: 400, error: "Invalid JSON request body" });
  });

  it("a JSON body that is not an object", async () => {
    const res = await upload("[1,2,3]");
    expect(await res.json()).toEqual({ code: 400, error: "Invalid JSON request body" });
  });

  it("unknown api key", async () => {
    const res = await upload({ api_key: "not-a-key", events: [event(1)] });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ code: 400, error: "Invalid API key: not-a-key" });
  });

  it("the secret key is not an ingest key", async () => {
    const res = await upload({ api_key: project.secretKey, events: [event(1)] });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/^Invalid API key/);
  });

  it("wrong content type", async () => {
    const res = await upload({ api_key: project.apiKey, events: [event(1)] }, "/2/httpapi", { "content-type": "text/csv" });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ code: 400, error: "Invalid content type: expected application/json" });
  });

  it("bad options.min_id_length", async () => {
    const res = await upload({ api_key: project.apiKey, events: [event(1)], options: { min_id_length: "three" } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 400, error: "Invalid field values on some events" });
  });
});

describe("event-level 400s reject the whole request and name the indices", () => {
  it("missing event_type and ids, invalid time, and nothing of the request is stored", async () => {
    const events = [
      { user_id: "good-user-1", event_type: "A", insert_id: "whole-1" },
      { user_id: "good-user-1" },
      { event_type: "B" },
      { user_id: "good-user-1", event_type: "C", time: "2026-01-01" },
      { user_id: "good-user-1", event_type: "D", time: 1.5 },
    ];
    const res = await upload({ api_key: project.apiKey, events });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      code: 400,
      error: "Request missing required field",
      events_with_missing_fields: { event_type: [1], device_id: [2] },
      events_with_invalid_fields: { time: [3, 4] },
    });
    expect(await profile(project.id, user("good-user-1")).getEvents()).toEqual([]);
  });

  it("invalid field types", async () => {
    const res = await upload({
      api_key: project.apiKey,
      events: [
        event(1, { event_properties: [1, 2] }),
        event(2, { price: "9.99" }),
        event(3, { session_id: 1.25 }),
        event(4, { user_properties: { $bogus: { a: 1 } } }),
        event(5, { event_type: "" }),
      ],
    });
    expect(await res.json()).toEqual({
      code: 400,
      error: "Invalid field values on some events",
      events_with_invalid_fields: { event_properties: [0], price: [1], session_id: [2], user_properties: [3], event_type: [4] },
    });
  });

  it("ids shorter than min_id_length, unless options lowers it", async () => {
    const short = { user_id: "abc", event_type: "A" };
    const res = await upload({ api_key: project.apiKey, events: [event(1), short] });
    expect(await res.json()).toEqual({
      code: 400,
      error: "Invalid id length for user_id or device_id",
      events_with_invalid_id_lengths: { user_id: [1] },
    });
    const ok = await upload({ api_key: project.apiKey, events: [short], options: { min_id_length: 3 } });
    expect(ok.status).toBe(200);
  });

  it("placeholder ids Amplitude refuses", async () => {
    const res = await upload({
      api_key: project.apiKey,
      events: [
        { device_id: "00000000-0000-0000-0000-000000000000", event_type: "A" },
        { user_id: "Undefined", event_type: "A" },
      ],
      options: { min_id_length: 1 },
    });
    expect(await res.json()).toEqual({
      code: 400,
      error: "Invalid field values on some events",
      events_with_invalid_fields: { device_id: [0], user_id: [1] },
    });
  });

  it("an event that is not an object", async () => {
    const res = await upload({ api_key: project.apiKey, events: [event(1), "oops"] });
    expect(await res.json()).toEqual({
      code: 400,
      error: "Invalid field values on some events",
      events_with_invalid_fields: { event: [1] },
    });
  });
});

describe("413 limits", () => {
  it("more than 2,000 events", async () => {
    const events = Array.from({ length: 2001 }, (_, i) => event(i));
    for (const path of ["/2/httpapi", "/batch"]) {
      const res = await upload({ api_key: project.apiKey, events }, path);
      expect(res.status).toBe(413);
      expect(await res.json()).toEqual({ code: 413, error: "Payload too large" });
    }
  });

  it("a body over 1 MB on /2/httpapi, accepted by /batch (20 MB)", async () => {
    const big = "x".replace("x", "y".repeat(30_000));
    const events = Array.from({ length: 40 }, (_, i) => event(i, { event_properties: { blob: big } }));
    const body = JSON.stringify({ api_key: project.apiKey, events });
    expect(body.length).toBeGreaterThan(1_000_000);
    const res = await upload(body);
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ code: 413, error: "Payload too large" });
    const batch = await upload(body, "/batch");
    expect(batch.status).toBe(200);
  });

  it("counts the decompressed size of a gzip body", async () => {
    const body = JSON.stringify({ api_key: project.apiKey, events: [event(1, { event_properties: { pad: "z".repeat(30_000) } })] });
    const padded = body.replace('"pad"', `"pad2":"${"a".repeat(1_000_000)}","pad"`);
    const gz = await gzip(padded);
    expect(gz.byteLength).toBeLessThan(1_000_000);
    const res = await call("/2/httpapi", { method: "POST", headers: { "content-type": "application/json", "content-encoding": "gzip" }, body: gz });
    expect(res.status).toBe(413);
  });
});

describe("gzip bodies", () => {
  it("accepts Content-Encoding: gzip", async () => {
    const gz = await gzip(JSON.stringify({ api_key: project.apiKey, events: [event(20, { user_id: "gzip-user-1" })] }));
    const res = await call("/2/httpapi", { method: "POST", headers: { "content-type": "application/json", "content-encoding": "gzip" }, body: gz });
    expect(res.status).toBe(200);
    expect(await profile(project.id, user("gzip-user-1")).getEvents()).toHaveLength(1);
  });

  it("a truncated gzip body is a 400 naming the problem", async () => {
    const gz = await gzip(JSON.stringify({ api_key: project.apiKey, events: [event(21)] }));
    const res = await call("/2/httpapi", {
      method: "POST",
      headers: { "content-type": "application/json", "content-encoding": "gzip" },
      body: gz.slice(0, gz.byteLength - 12),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ code: 400, error: "Request body is not valid gzip" });
  });

  it("an unknown Content-Encoding is a 400", async () => {
    const res = await upload({ api_key: project.apiKey, events: [event(1)] }, "/2/httpapi", { "content-encoding": "br" });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ code: 400, error: "Unsupported Content-Encoding: br (use gzip or none)" });
  });
});

describe("429 per-user throttling", () => {
  it("throttles a user over THROTTLE_EPS × window, names it and its events, and stores the others", async () => {
    const flood = Array.from({ length: 901 }, (_, i) => ({ user_id: "flooder-1", event_type: "Spam", insert_id: `f-${i}` }));
    const events = [{ user_id: "calm-user-1", event_type: "Hello", insert_id: "calm-1" }, ...flood];
    const res = await upload({ api_key: project.apiKey, events });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("30");
    expect(await res.json()).toEqual({
      code: 429,
      error: "Too many requests for some devices and users",
      eps_threshold: 30,
      throttled_devices: {},
      throttled_users: { "flooder-1": 30 },
      throttled_events: flood.map((_, i) => i + 1),
      exceeded_daily_quota_devices: {},
      exceeded_daily_quota_users: {},
    });
    expect(await profile(project.id, user("flooder-1")).getEvents()).toEqual([]);
    expect(await profile(project.id, user("calm-user-1")).getEvents()).toHaveLength(1);
  });

  it("/batch allows 1,000 events/s per user", async () => {
    const flood = Array.from({ length: 1500 }, (_, i) => ({ user_id: "bulk-user-1", event_type: "Bulk", insert_id: `b-${i}` }));
    const res = await upload({ api_key: project.apiKey, events: flood }, "/batch");
    expect(res.status).toBe(200);
  });
});

describe("CORS for browser SDKs", () => {
  it("answers the preflight and marks responses cross-origin readable", async () => {
    const pre = await call("/2/httpapi", {
      method: "OPTIONS",
      headers: { origin: "https://shop.example", "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("*");
    expect(pre.headers.get("access-control-allow-methods")).toContain("POST");
    const res = await upload({ api_key: project.apiKey, events: [event(30)] }, "/2/httpapi", { origin: "https://shop.example" });
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
  });
});

async function gzip(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
