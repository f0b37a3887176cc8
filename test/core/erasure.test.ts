import { describe, expect, it } from "vitest";
import { erasurePlan, withoutErased, type ErasedIds } from "../../src/core/erasure";

const ids: ErasedIds = { users: new Map([["ann", 1_000]]), devices: new Map([["ann-phone", 1_000]]) };
const line = (e: Record<string, unknown>) => JSON.stringify(e);

describe("which archive lines a deletion removes", () => {
  it("removes the user's lines and her devices' anonymous lines received up to the erasure; keeps the rest byte for byte", () => {
    const keep = [
      line({ user_id: "bob", device_id: "ann-phone", received_at: 10 }), // someone else's, on her old device
      line({ user_id: "ann", received_at: 1_001 }), // a fresh profile's event after the erasure
      line({ device_id: "other-phone", received_at: 5 }),
      line({ user_id: "annie", received_at: 5 }),
    ];
    const drop = [line({ user_id: "ann", device_id: "x", received_at: 5 }), line({ device_id: "ann-phone", received_at: 1_000 })];
    const text = [drop[0], keep[0], keep[1], drop[1], keep[2], keep[3]].join("\n") + "\n";
    expect(withoutErased(text, ids)).toEqual({ text: keep.join("\n") + "\n", removed: 2, kept: 4 });
  });

  it("answers null when nothing changes (a second pass is a no-op) and empty text when nothing remains", () => {
    expect(withoutErased(line({ user_id: "bob", received_at: 1 }) + "\n", ids)).toBeNull();
    expect(withoutErased(line({ user_id: "ann", received_at: 1 }) + "\n", ids)).toEqual({ text: "", removed: 1, kept: 0 });
  });
});

describe("the deletion plan", () => {
  it("maps ids to erasure instants and spans the hours of every target's events", () => {
    const plan = erasurePlan([
      { key: "u:ann", erasedAt: 50, devices: ["ann-phone"], firstSeen: Date.UTC(2026, 0, 1, 3), lastSeen: Date.UTC(2026, 0, 2, 4) },
      { key: "d:anon-1", erasedAt: 60, firstSeen: Date.UTC(2025, 11, 31, 23), lastSeen: Date.UTC(2026, 0, 1, 0) },
    ]);
    expect(plan.ids).toEqual({
      users: new Map([["ann", 50]]),
      devices: new Map([
        ["ann-phone", 50],
        ["anon-1", 60],
      ]),
    });
    expect(plan.hours).toEqual({ from: "2025-12-31T23", to: "2026-01-02T04" });
  });

  it("scans the whole archive when a target's range is unknown", () => {
    expect(erasurePlan([{ key: "u:ann", erasedAt: 50, firstSeen: null, lastSeen: null }]).hours).toBeNull();
  });
});
