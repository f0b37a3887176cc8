import { describe, expect, it } from "vitest";
import { toTailorEvent, validateEvent } from "../../../src/core/amplitude/event";
import { parseEnvelope, validateEvents } from "../../../src/core/amplitude/upload";

describe("validateEvent", () => {
  it("accepts a minimal event with either id", () => {
    expect(Array.isArray(validateEvent({ user_id: "user-1", event_type: "A" }, 5))).toBe(false);
    expect(Array.isArray(validateEvent({ device_id: "device-1", event_type: "A" }, 5))).toBe(false);
  });

  it("treats null ids as absent", () => {
    expect(validateEvent({ user_id: null, device_id: "device-1", event_type: "A" }, 5)).toMatchObject({ device_id: "device-1" });
    expect(validateEvent({ user_id: null, event_type: "A" }, 5)).toEqual([{ kind: "missing", field: "device_id" }]);
  });

  it("refuses placeholder ids case-insensitively", () => {
    for (const id of ["NULL", "unknown", "n/a", "lmy47d", "-1"]) {
      expect(validateEvent({ user_id: id, event_type: "A" }, 1)).toEqual([{ kind: "invalid", field: "user_id" }]);
    }
  });

  it("a numeric id is an id-length error, as Amplitude reports non-string ids", () => {
    expect(validateEvent({ user_id: 123456, event_type: "A" }, 5)).toEqual([{ kind: "id_length", field: "user_id" }]);
  });

  it("refuses over-long strings and too-deep properties", () => {
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 45; i++) deep = { d: deep };
    const problems = validateEvent({ user_id: "user-1", event_type: "A", platform: "p".repeat(1025), event_properties: deep }, 5);
    expect(problems).toEqual([
      { kind: "invalid", field: "platform" },
      { kind: "invalid", field: "event_properties" },
    ]);
  });
});

describe("toTailorEvent", () => {
  it("keeps the core fields, stamps server fields, and keeps the rest in attrs", () => {
    const valid = validateEvent(
      { user_id: "user-1", event_type: "Order Completed", time: 5, insert_id: "i", revenue: 9.5, platform: "Web", event_properties: { a: 1 }, session_id: 7 },
      5,
    );
    if (Array.isArray(valid)) throw new Error("should be valid");
    expect(toTailorEvent(valid, "uuid-1", 100)).toEqual({
      uuid: "uuid-1",
      insert_id: "i",
      event_type: "Order Completed",
      user_id: "user-1",
      time: 5,
      received_at: 100,
      session_id: 7,
      event_properties: { a: 1 },
      user_properties: {},
      attrs: { revenue: 9.5, platform: "Web" },
    });
  });

  it("uses the receive time when the event has none", () => {
    const valid = validateEvent({ device_id: "device-1", event_type: "A" }, 5);
    if (Array.isArray(valid)) throw new Error("should be valid");
    expect(toTailorEvent(valid, "u", 42).time).toBe(42);
  });
});

describe("parseEnvelope / validateEvents", () => {
  it("413 past the event limit", () => {
    const events = Array.from({ length: 3 }, () => ({}));
    expect(parseEnvelope(JSON.stringify({ api_key: "k", events }), 2)).toMatchObject({ ok: false, status: 413 });
  });

  it("lists every bad index under each field, missing first in the error string", () => {
    const result = validateEvents([{ user_id: "user-1" }, { user_id: "ab", event_type: "A" }, { user_id: "user-2", event_type: "A", time: -1 }], 5);
    expect(result).toEqual({
      ok: false,
      status: 400,
      body: {
        code: 400,
        error: "Request missing required field",
        events_with_missing_fields: { event_type: [0] },
        events_with_invalid_fields: { time: [2] },
        events_with_invalid_id_lengths: { user_id: [1] },
      },
    });
  });
});

describe("unknown top-level fields stay within the store's limits", () => {
  it("a huge or too-deep unknown field, or an event too big for one stored row, is an invalid field", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 45; i++) deep = [deep];
    expect(validateEvent({ user_id: "user-1", event_type: "A", extra: "x".repeat(40_000) }, 5)).toEqual([{ kind: "invalid", field: "extra" }]);
    expect(validateEvent({ user_id: "user-1", event_type: "A", extra: deep }, 5)).toEqual([{ kind: "invalid", field: "extra" }]);
    const pieces = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`p${i}`, "x".repeat(30_000)]));
    expect(validateEvent({ user_id: "user-1", event_type: "A", event_properties: pieces }, 5)).toEqual([{ kind: "invalid", field: "event" }]);
    expect(Array.isArray(validateEvent({ user_id: "user-1", event_type: "A", extra: { ok: [1, 2] } }, 5))).toBe(false);
  });
});
