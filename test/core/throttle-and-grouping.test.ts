import { describe, expect, it } from "vitest";
import { groupByProfile } from "../../src/core/group-by-profile";
import { fullBucket, takeTokens } from "../../src/core/throttle";
import type { TailorEvent } from "../../src/core/event";

const limits = { eventsPerSecond: 10, windowSeconds: 3 };

describe("takeTokens", () => {
  it("allows a burst up to rate × window, then refuses the whole request", () => {
    const first = takeTokens(fullBucket(limits, 0), 30, limits, 0);
    expect(first.ok).toBe(true);
    const second = takeTokens(first.bucket, 5, limits, 0);
    expect(second).toMatchObject({ ok: false, retryAfterMs: 1000 });
  });

  it("refills at the rate", () => {
    const empty = takeTokens(fullBucket(limits, 0), 30, limits, 0).bucket;
    expect(takeTokens(empty, 10, limits, 999).ok).toBe(false);
    expect(takeTokens(empty, 10, limits, 1000).ok).toBe(true);
  });

  it("a request larger than the bucket waits out a whole window", () => {
    expect(takeTokens(fullBucket(limits, 0), 31, limits, 0)).toMatchObject({ ok: false, retryAfterMs: 3000, eps: 10 });
  });
});

describe("groupByProfile", () => {
  const ev = (user_id?: string, device_id?: string): TailorEvent =>
    ({ uuid: "u", event_type: "A", time: 0, received_at: 0, event_properties: {}, user_properties: {}, user_id, device_id }) as TailorEvent;

  it("groups by user_id when present, else device_id, keeping request indices", () => {
    const groups = groupByProfile([ev("u1"), ev(undefined, "d1"), ev("u1", "d1"), ev(undefined, "d1")]);
    expect(groups.map((g) => [g.ref, g.indices])).toEqual([
      [{ kind: "user", id: "u1" }, [0, 2]],
      [{ kind: "device", id: "d1" }, [1, 3]],
    ]);
  });
});
