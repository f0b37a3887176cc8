import { describe, expect, it } from "vitest";
import { parseSegmentBody, segmentEvents, segmentToTailor, type SegmentContext } from "../../../src/core/formats/segment";

const NOW = Date.parse("2026-05-01T12:00:00.000Z");
let n = 0;
const ctx: SegmentContext = { receivedAt: NOW, newId: () => `uuid-${++n}` };
const map = (raw: unknown, extra: Partial<SegmentContext> = {}) => segmentToTailor(raw, 0, { ...ctx, ...extra });

describe("Segment messages → TailorEvent", () => {
  it("track: event, properties, ids, messageId as insert_id, timestamp as sent", () => {
    const e = map({
      type: "track",
      event: "Order Completed",
      userId: "u-1",
      anonymousId: "anon-1",
      messageId: "m-1",
      timestamp: "2026-05-01T11:00:00.000Z",
      properties: { revenue: 12.5 },
      context: { library: { name: "analytics-node" } },
      integrations: { All: true },
    });
    expect(e).toMatchObject({
      event_type: "Order Completed",
      user_id: "u-1",
      device_id: "anon-1",
      insert_id: "m-1",
      time: NOW - 3_600_000,
      received_at: NOW,
      event_properties: { revenue: 12.5 },
      user_properties: {},
      attrs: { format: "segment", context: { library: { name: "analytics-node" } } },
    });
  });

  it("identify: traits become $set user properties on a $identify event", () => {
    expect(map({ type: "identify", userId: "u-1", traits: { plan: "pro" } })).toMatchObject({
      event_type: "$identify",
      user_properties: { $set: { plan: "pro" } },
    });
  });

  it("RudderStack's browser SDK: an empty userId is no user (the anonymousId names the profile); identify traits in context.traits", () => {
    const anon = map({ type: "track", userId: "", anonymousId: "anon-1", event: "Viewed" });
    expect(anon).toMatchObject({ device_id: "anon-1", event_type: "Viewed" });
    expect(anon).not.toHaveProperty("user_id");
    expect(map({ type: "identify", userId: "u-2", anonymousId: "anon-1", context: { traits: { plan: "solo", tier: 1 } }, traits: { tier: 2 } })).toMatchObject({
      user_properties: { $set: { plan: "solo", tier: 2 } },
    });
  });

  it("page and screen: Loaded a Page / Loaded a Screen with name and category", () => {
    expect(map({ type: "page", anonymousId: "a-1", name: "Home", category: "Docs", properties: { url: "/" } })).toMatchObject({
      event_type: "Loaded a Page",
      device_id: "a-1",
      event_properties: { name: "Home", category: "Docs", url: "/" },
    });
    expect(map({ type: "screen", userId: "u-1", name: "Cart" })).toMatchObject({ event_type: "Loaded a Screen", event_properties: { name: "Cart" } });
  });

  it("alias: links previousId (as the device) to userId", () => {
    expect(map({ type: "alias", userId: "u-1", previousId: "anon-9" })).toMatchObject({ event_type: "$alias", user_id: "u-1", device_id: "anon-9" });
  });

  it("group: a $groupidentify with the group and its traits", () => {
    expect(map({ type: "group", userId: "u-1", groupId: "acme", traits: { plan: "enterprise" } })).toMatchObject({
      event_type: "$groupidentify",
      event_properties: { group_id: "acme" },
      groups: { group: "acme" },
      group_properties: { plan: "enterprise" },
    });
  });

  it("numeric ids are strings", () => {
    expect(map({ type: "track", event: "A", userId: 42 })).toMatchObject({ user_id: "42" });
  });

  it("originalTimestamp is corrected for clock skew by sentAt (message or batch)", () => {
    // The client's clock runs 10 minutes fast: it happened 1 s before it was sent.
    const original = "2026-05-01T12:10:00.000Z";
    const sent = "2026-05-01T12:10:01.000Z";
    expect(map({ type: "track", event: "A", userId: "u", originalTimestamp: original, sentAt: sent })).toMatchObject({ time: NOW - 1000 });
    expect(map({ type: "track", event: "A", userId: "u", originalTimestamp: original }, { sentAt: Date.parse(sent) })).toMatchObject({ time: NOW - 1000 });
    expect(map({ type: "track", event: "A", userId: "u", originalTimestamp: original })).toMatchObject({ time: Date.parse(original) });
    expect(map({ type: "track", event: "A", userId: "u" })).toMatchObject({ time: NOW });
  });
});

describe("Segment validation names the field and the message index", () => {
  it("an id is required (except alias, which needs userId and previousId)", () => {
    expect(segmentToTailor({ type: "track", event: "A" }, 3, ctx)).toEqual([{ index: 3, field: "userId", message: "userId or anonymousId is required" }]);
    expect(segmentToTailor({ type: "alias", userId: "u" }, 1, ctx)).toMatchObject([{ index: 1, field: "previousId" }]);
  });

  it("unknown type, missing event name, bad timestamp, properties not an object", () => {
    expect(map({ type: "pageview", userId: "u" })).toMatchObject([{ field: "type" }]);
    expect(map({ type: "track", userId: "u" })).toMatchObject([{ field: "event" }]);
    expect(map({ type: "track", event: "A", userId: "u", timestamp: "yesterday" })).toMatchObject([{ field: "timestamp" }]);
    expect(map({ type: "track", event: "A", userId: "u", properties: [1] })).toMatchObject([{ field: "properties" }]);
    expect(map("not an object")).toMatchObject([{ field: "message" }]);
  });

  it("too-deep properties and too-big messages", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 50; i++) deep = { d: deep };
    expect(map({ type: "track", event: "A", userId: "u", properties: deep })).toMatchObject([{ field: "properties" }]);
    const big = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`p${i}`, "x".repeat(30_000)]));
    expect(map({ type: "track", event: "A", userId: "u", properties: big })).toMatchObject([{ field: "message" }]);
  });

  it("a batch with bad messages is refused whole, naming each", () => {
    const result = segmentEvents(
      { messages: [{ type: "track", event: "A", userId: "u" }, { type: "track", userId: "u" }, { type: "identify" }] },
      NOW,
      ctx.newId,
    );
    expect(result).toEqual({
      ok: false,
      body: {
        success: false,
        code: "invalid_request",
        message: "2 invalid message(s): the batch was not stored",
        errors: [
          { index: 1, field: "event", message: expect.any(String) },
          { index: 2, field: "userId", message: "userId or anonymousId is required" },
        ],
      },
    });
  });
});

describe("parseSegmentBody", () => {
  it("a batch envelope with writeKey, sentAt and context", () => {
    const parsed = parseSegmentBody(
      JSON.stringify({ batch: [{ type: "track" }], writeKey: "wk", sentAt: "2026-05-01T12:00:00Z", context: { ip: "1.2.3.4" } }),
      "batch",
    );
    expect(parsed).toEqual({ ok: true, value: { writeKey: "wk", sentAt: NOW, context: { ip: "1.2.3.4" }, messages: [{ type: "track" }] } });
  });

  it("a single-message endpoint takes the type from the path", () => {
    const parsed = parseSegmentBody(JSON.stringify({ type: "page", event: "A", userId: "u" }), "track");
    expect(parsed).toMatchObject({ ok: true, value: { messages: [{ type: "track", event: "A" }] } });
  });

  it("request-level problems", () => {
    expect(parseSegmentBody("", "batch")).toMatchObject({ ok: false, body: { message: "Missing request body" } });
    expect(parseSegmentBody("{", "batch")).toMatchObject({ ok: false, body: { message: "Invalid JSON request body" } });
    expect(parseSegmentBody("[]", "track")).toMatchObject({ ok: false, body: { message: "Request body must be a JSON object" } });
    expect(parseSegmentBody("{}", "batch")).toMatchObject({ ok: false, body: { errors: [{ field: "batch", message: "required" }] } });
    expect(parseSegmentBody('{"batch":{}}', "batch")).toMatchObject({ ok: false, body: { errors: [{ field: "batch" }] } });
    expect(parseSegmentBody('{"batch":[]}', "batch")).toMatchObject({ ok: false, body: { errors: [{ field: "batch" }] } });
    expect(parseSegmentBody('{"batch":[{}],"writeKey":5}', "batch")).toMatchObject({ ok: false, body: { errors: [{ field: "writeKey" }] } });
    expect(parseSegmentBody('{"batch":[{}],"sentAt":"soon"}', "batch")).toMatchObject({ ok: false, body: { errors: [{ field: "sentAt" }] } });
  });
});
