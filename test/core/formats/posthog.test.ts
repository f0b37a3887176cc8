import { describe, expect, it } from "vitest";
import { formData, parsePostHogBody, posthogEvents, posthogToTailor, type PostHogContext } from "../../../src/core/formats/posthog";

const NOW = Date.parse("2026-05-01T12:00:00.000Z");
const ctx: PostHogContext = { receivedAt: NOW, newId: () => "uuid" };
const map = (raw: unknown, extra: Partial<PostHogContext> = {}) => posthogToTailor(raw, 0, { ...ctx, ...extra });

describe("PostHog events → TailorEvent", () => {
  it("a capture: distinct_id is the user, uuid the insert_id, $set on any event", () => {
    expect(
      map({
        event: "Order Completed",
        distinct_id: "u-1",
        uuid: "0190-aaaa",
        timestamp: "2026-05-01T11:00:00.000Z",
        properties: { revenue: 12.5, $lib: "posthog-node", $set: { plan: "pro" }, token: "phc_x" },
      }),
    ).toEqual({
      uuid: "uuid",
      insert_id: "0190-aaaa",
      event_type: "Order Completed",
      user_id: "u-1",
      time: NOW - 3_600_000,
      received_at: NOW,
      event_properties: { revenue: 12.5, $lib: "posthog-node" },
      user_properties: { $set: { plan: "pro" } },
      attrs: { format: "posthog" },
    });
  });

  it("$identify links $anon_distinct_id (as a device) to the user; $set_once and $unset too", () => {
    expect(
      map({ event: "$identify", distinct_id: "u-1", properties: { $anon_distinct_id: "anon-1", $set: { a: 1 }, $set_once: { b: 2 }, $unset: ["c"] } }),
    ).toMatchObject({
      event_type: "$identify",
      user_id: "u-1",
      device_id: "anon-1",
      user_properties: { $set: { a: 1 }, $setOnce: { b: 2 }, $unset: { c: "-" } },
    });
  });

  it("top-level $set / $set_once (older clients) count as well", () => {
    expect(map({ event: "$identify", distinct_id: "u-1", $set: { a: 1 }, $set_once: { b: 2 } })).toMatchObject({
      user_properties: { $set: { a: 1 }, $setOnce: { b: 2 } },
    });
  });

  it("$create_alias links the alias to the distinct_id", () => {
    expect(map({ event: "$create_alias", distinct_id: "u-1", properties: { distinct_id: "u-1", alias: "anon-2" } })).toMatchObject({
      user_id: "u-1",
      device_id: "anon-2",
    });
  });

  it("anonymous events belong to the device: distinct_id = $device_id, or $process_person_profile false", () => {
    const anon = map({ event: "$pageview", distinct_id: "d-1", properties: { $device_id: "d-1" } });
    expect(anon).toMatchObject({ device_id: "d-1" });
    expect(anon).not.toHaveProperty("user_id");
    expect(map({ event: "A", distinct_id: "d-2", properties: { $process_person_profile: false } })).toMatchObject({ device_id: "d-2" });
    expect(map({ event: "A", distinct_id: "u-1", properties: { $device_id: "d-1" } })).toMatchObject({ user_id: "u-1", device_id: "d-1" });
  });

  it("$groupidentify for the group itself is dropped; for a person it is stored with the group", () => {
    const props = { $group_type: "company", $group_key: "acme", $group_set: { size: 10 } };
    expect(map({ event: "$groupidentify", distinct_id: "$company_acme", properties: props })).toBeNull();
    expect(map({ event: "$groupidentify", distinct_id: "u-1", properties: props })).toMatchObject({
      user_id: "u-1",
      groups: { company: "acme" },
      group_properties: { size: 10 },
    });
  });

  it("time: timestamp corrected by sent_at; else offset; else receive time", () => {
    const skewed = { event: "A", distinct_id: "u", timestamp: "2026-05-01T12:10:00.000Z" };
    expect(map({ ...skewed, sent_at: "2026-05-01T12:10:02.000Z" })).toMatchObject({ time: NOW - 2000 });
    expect(map(skewed, { sentAt: Date.parse("2026-05-01T12:10:02.000Z") })).toMatchObject({ time: NOW - 2000 });
    expect(map(skewed)).toMatchObject({ time: Date.parse(skewed.timestamp) });
    expect(map({ event: "A", distinct_id: "u", offset: 500 })).toMatchObject({ time: NOW - 500 });
    expect(map({ event: "A", distinct_id: "u" })).toMatchObject({ time: NOW });
  });
});

describe("PostHog validation names the field and the event index", () => {
  it("missing event or distinct_id, bad properties, alias without alias", () => {
    expect(posthogToTailor({ distinct_id: "u" }, 2, ctx)).toMatchObject([{ index: 2, field: "event" }]);
    expect(map({ event: "A" })).toEqual([{ index: 0, field: "distinct_id", message: "required" }]);
    expect(map({ event: "A", distinct_id: "u", properties: "x" })).toMatchObject([{ field: "properties" }]);
    expect(map({ event: "A", distinct_id: "u", properties: { $set: [1] } })).toMatchObject([{ field: "properties.$set" }]);
    expect(map({ event: "$create_alias", distinct_id: "u" })).toMatchObject([{ field: "properties.alias" }]);
    expect(map({ event: "A", distinct_id: "u", timestamp: "not a date" })).toMatchObject([{ field: "timestamp" }]);
  });

  it("a request with bad events is refused whole, naming each", () => {
    const result = posthogEvents({ messages: [{ event: "A", distinct_id: "u" }, { event: "B" }] }, NOW, ctx.newId);
    expect(result).toMatchObject({
      ok: false,
      body: { type: "validation_error", code: "invalid_payload", attr: "batch.1.distinct_id", errors: [{ index: 1, field: "distinct_id" }] },
    });
  });
});

describe("parsePostHogBody", () => {
  it("a batch with api_key and sent_at", () => {
    expect(parsePostHogBody(JSON.stringify({ api_key: "phc", batch: [{ event: "A" }], sent_at: "2026-05-01T12:00:00Z" }))).toEqual({
      ok: true,
      value: { apiKey: "phc", messages: [{ event: "A" }], sentAt: NOW },
    });
  });

  it("one event, or an array of events with the key in properties.token", () => {
    expect(parsePostHogBody(JSON.stringify({ api_key: "phc", event: "A", distinct_id: "u" }))).toMatchObject({
      ok: true,
      value: { apiKey: "phc", messages: [{ event: "A" }] },
    });
    expect(parsePostHogBody(JSON.stringify([{ event: "A", properties: { token: "phc" } }]))).toMatchObject({ ok: true, value: { apiKey: "phc" } });
  });

  it("request-level problems", () => {
    expect(parsePostHogBody("")).toMatchObject({ ok: false, body: { detail: "Missing request body" } });
    expect(parsePostHogBody("{")).toMatchObject({ ok: false, body: { code: "invalid_payload" } });
    expect(parsePostHogBody("5")).toMatchObject({ ok: false });
    expect(parsePostHogBody('{"batch":{}}')).toMatchObject({ ok: false, body: { attr: "batch" } });
    expect(parsePostHogBody('{"batch":[]}')).toMatchObject({ ok: false, body: { attr: "batch" } });
  });

  it("form-encoded data=, plain or base64", () => {
    const json = JSON.stringify({ api_key: "phc", batch: [] });
    expect(formData(new URLSearchParams({ data: json }).toString())).toBe(json);
    expect(formData(new URLSearchParams({ data: btoa(json) }).toString())).toBe(json);
    expect(formData("other=1")).toBeNull();
    expect(formData("data=%%%")).toBeNull();
  });
});
