import { describe, expect, it } from "vitest";
import { finishSchema, HEARTBEAT_MS, isActive, isClaimable, STALE_AFTER_MS, staleBefore } from "../../src/core/training-jobs";

const now = 1_800_000_000_000;

describe("which training jobs a trainer may claim", () => {
  it("a queued job, whatever its (absent) heartbeat", () => {
    expect(isClaimable({ status: "queued", heartbeat_at: null }, now)).toBe(true);
  });

  it("a running job only once its heartbeat is older than STALE_AFTER_MS", () => {
    expect(isClaimable({ status: "running", heartbeat_at: now }, now)).toBe(false);
    expect(isClaimable({ status: "running", heartbeat_at: now - STALE_AFTER_MS }, now)).toBe(false);
    expect(isClaimable({ status: "running", heartbeat_at: now - STALE_AFTER_MS - 1 }, now)).toBe(true);
    expect(staleBefore(now)).toBe(now - STALE_AFTER_MS);
  });

  it("never a finished one", () => {
    for (const status of ["succeeded", "failed"] as const) {
      expect(isClaimable({ status, heartbeat_at: 0 }, now)).toBe(false);
      expect(isActive({ status })).toBe(false);
    }
    expect(isActive({ status: "queued" }) && isActive({ status: "running" })).toBe(true);
  });

  it("a trainer heartbeats several times within the stale window", () => {
    expect(STALE_AFTER_MS / HEARTBEAT_MS).toBeGreaterThanOrEqual(5);
  });
});

describe("a trainer's finish report", () => {
  it("succeeded names the model; failed carries the error", () => {
    expect(finishSchema.safeParse({ worker: "w", status: "succeeded", model_id: "mdl_1" }).success).toBe(true);
    expect(finishSchema.safeParse({ worker: "w", status: "failed", error: "boom" }).success).toBe(true);
    expect(finishSchema.safeParse({ worker: "w", status: "succeeded" }).success).toBe(false);
    expect(finishSchema.safeParse({ worker: "w", status: "failed", error: "" }).success).toBe(false);
    expect(finishSchema.safeParse({ status: "failed", error: "boom" }).success).toBe(false);
  });
});
