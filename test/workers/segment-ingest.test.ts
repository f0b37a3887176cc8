import { beforeAll, describe, expect, it } from "vitest";
import { call, createProject, device, profile, user, type TestProject } from "./helpers";

// Segment's HTTP Tracking API (and RudderStack's, which is the same wire format).
let project: TestProject;
beforeAll(async () => {
  project = await createProject("segment");
});

const basic = (key: string) => `Basic ${btoa(`${key}:`)}`;
const gzip = async (text: string) => new Uint8Array(await new Response(new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer());

function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return call(path, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: basic(project.apiKey), ...headers },
    body: typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body),
  });
}

describe("Segment endpoints store events and answer {success: true}", () => {
  it("/v1/batch: track, identify, page, screen, group in one request", async () => {
    const res = await post("/v1/batch", {
      batch: [
        { type: "track", userId: "seg-user-1", event: "Order Completed", messageId: "seg-m-1", properties: { revenue: 9 } },
        { type: "identify", userId: "seg-user-1", messageId: "seg-m-2", traits: { plan: "pro" } },
        { type: "page", userId: "seg-user-1", messageId: "seg-m-3", name: "Home" },
        { type: "screen", userId: "seg-user-1", messageId: "seg-m-4", name: "Cart" },
        { type: "group", userId: "seg-user-1", messageId: "seg-m-5", groupId: "acme", traits: { size: 5 } },
      ],
      sentAt: new Date().toISOString(),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ success: true });
    const stub = profile(project.id, user("seg-user-1"));
    const events = await stub.getEvents();
    expect(events.map((e) => e.event_type)).toEqual(["Order Completed", "$identify", "Loaded a Page", "Loaded a Screen", "$groupidentify"]);
    expect((await stub.getProfile())!.user_properties).toEqual({ plan: "pro" });
  });

  it("each single-message endpoint, with writeKey in the body instead of Basic auth", async () => {
    const messages: [string, Record<string, unknown>][] = [
      ["/v1/track", { event: "Signed Up" }],
      ["/v1/identify", { traits: { email: "a@example.com" } }],
      ["/v1/page", { name: "Pricing" }],
      ["/v1/screen", { name: "Home" }],
      ["/v1/group", { groupId: "g-1" }],
    ];
    for (const [path, message] of messages) {
      const res = await post(path, { ...message, userId: "seg-user-2", writeKey: project.apiKey }, { authorization: "" });
      expect(res.status, path).toBe(200);
      expect(await res.json()).toEqual({ success: true });
    }
    const events = await profile(project.id, user("seg-user-2")).getEvents();
    expect(events.map((e) => e.event_type)).toEqual(["Signed Up", "$identify", "Loaded a Page", "Loaded a Screen", "$groupidentify"]);
  });

  it("/v1/alias links the previous (anonymous) id's history to the user", async () => {
    expect((await post("/v1/track", { anonymousId: "seg-anon-3", event: "Browsed" })).status).toBe(200);
    expect((await post("/v1/alias", { userId: "seg-user-3", previousId: "seg-anon-3" })).status).toBe(200);
    const events = await profile(project.id, user("seg-user-3")).getEvents();
    expect(events.map((e) => e.event_type).sort()).toEqual(["$alias", "Browsed"]);
    expect(await profile(project.id, device("seg-anon-3")).getProfile()).toMatchObject({ user_id: "seg-user-3" });
  });

  it("messageId dedupes: the same message twice is stored once", async () => {
    const message = { type: "track", userId: "seg-user-4", event: "Clicked", messageId: "seg-dup-1" };
    expect((await post("/v1/batch", { batch: [message] })).status).toBe(200);
    expect((await post("/v1/batch", { batch: [message, message] })).status).toBe(200);
    expect(await profile(project.id, user("seg-user-4")).getEvents()).toHaveLength(1);
  });

  it("gzip bodies, also when labelled application/x-www-form-urlencoded (RudderStack's Node SDK)", async () => {
    const body = await gzip(JSON.stringify({ batch: [{ type: "track", userId: "seg-user-5", event: "Zipped" }] }));
    const res = await post("/v1/batch", body, { "content-type": "application/x-www-form-urlencoded", "content-encoding": "gzip" });
    expect(res.status).toBe(200);
    // No Content-Encoding at all: gzip is known by its magic bytes.
    const unlabelled = await gzip(JSON.stringify({ batch: [{ type: "track", userId: "seg-user-5", event: "Unlabelled" }] }));
    expect((await post("/v1/batch", unlabelled, { "content-type": "application/x-www-form-urlencoded" })).status).toBe(200);
    expect((await profile(project.id, user("seg-user-5")).getEvents()).map((e) => e.event_type)).toEqual(["Zipped", "Unlabelled"]);
  });

  it("text/plain, as analytics.js sends it, and a CORS preflight", async () => {
    const res = await post("/v1/track", { userId: "seg-user-6", event: "Plain" }, { "content-type": "text/plain" });
    expect(res.status).toBe(200);
    const preflight = await call("/v1/batch", { method: "OPTIONS", headers: { origin: "https://shop.example", "access-control-request-method": "POST" } });
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
  });
});

describe("Segment errors", () => {
  it("missing write key: 400; unknown write key or the secret key: 401", async () => {
    const missing = await post("/v1/track", { userId: "seg-x", event: "A" }, { authorization: "" });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ success: false, code: "invalid_request", message: expect.stringMatching(/^Missing write key/) });
    for (const key of ["not-a-key", project.secretKey]) {
      const res = await post("/v1/track", { userId: "seg-x", event: "A" }, { authorization: basic(key) });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ success: false, code: "unauthorized", message: "Invalid write key" });
    }
    const malformed = await post("/v1/track", { userId: "seg-x", event: "A" }, { authorization: "Basic %%%" });
    expect(malformed.status).toBe(401);
  });

  it("a batch with bad messages is refused whole and names each index and field", async () => {
    const res = await post("/v1/batch", {
      batch: [
        { type: "track", userId: "seg-user-7", event: "Good" },
        { type: "track", userId: "seg-user-7" },
        { type: "identify", traits: {} },
        { type: "bogus", userId: "seg-user-7" },
      ],
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      success: false,
      code: "invalid_request",
      message: "3 invalid message(s): the batch was not stored",
      errors: [
        { index: 1, field: "event", message: expect.any(String) },
        { index: 2, field: "userId", message: "userId or anonymousId is required" },
        { index: 3, field: "type", message: "expected one of track, identify, page, screen, alias, group" },
      ],
    });
    expect(await profile(project.id, user("seg-user-7")).getEvents()).toEqual([]);
  });

  it("bad JSON, wrong content type, bad gzip, oversized: 400 with a message", async () => {
    const cases: [unknown, Record<string, string>, RegExp][] = [
      ["{", {}, /^Invalid JSON/],
      [{ batch: [] }, { "content-type": "text/csv" }, /^Unsupported Content-Type/],
      [new Uint8Array([0x1f, 0x8b, 1, 2, 3]), { "content-encoding": "gzip" }, /not valid gzip/],
      ["x".repeat(4_000_001), {}, /exceeds/],
    ];
    for (const [body, headers, message] of cases) {
      const res = await post("/v1/batch", body, headers);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { message: string }).message).toMatch(message);
    }
  });
});
