import { describe, expect, it } from "vitest";
import { addFailures, afterFailedAttempt, afterRetry, BACKFILL_RETRY_ROUNDS, MAX_FAILED_KEYS, nextStep, retryWaitMs } from "../../src/core/job-retries";

describe("backfill retries", () => {
  it("a walk without failures succeeds; with failures it retries with growing waits, then ends partial", () => {
    expect(nextStep({ failures: 0, failedKeys: [] }, 0)).toEqual({ status: "succeeded" });
    const set = addFailures({ failures: 0, failedKeys: [] }, ["u:a", "d:b"]);
    expect(set).toEqual({ failures: 2, failedKeys: ["u:a", "d:b"] });
    const waits = [0, 1, 2].map((round) => nextStep(set, round));
    expect(waits).toEqual([
      { status: "retry", inMs: 5_000 },
      { status: "retry", inMs: 20_000 },
      { status: "retry", inMs: 80_000 },
    ]);
    expect(retryWaitMs(1)).toBeGreaterThan(retryWaitMs(0));
    expect(nextStep(set, BACKFILL_RETRY_ROUNDS)).toEqual({ status: "partial" });
  });

  it("a retry round keeps what failed again; recovering all of them is success", () => {
    const set = { failures: 3, failedKeys: ["u:a", "u:b", "u:c"] };
    const after = afterRetry(set, ["u:b"]);
    expect(after).toEqual({ failures: 1, failedKeys: ["u:b"] });
    expect(nextStep(afterRetry(after, []), 1)).toEqual({ status: "succeeded" });
  });

  it("keeps at most MAX_FAILED_KEYS keys but counts every failure; unkept ones make the job partial, never succeeded", () => {
    const many = Array.from({ length: MAX_FAILED_KEYS + 5 }, (_, i) => `u:${i}`);
    const set = addFailures({ failures: 0, failedKeys: [] }, many);
    expect(set.failures).toBe(MAX_FAILED_KEYS + 5);
    expect(set.failedKeys).toHaveLength(MAX_FAILED_KEYS);
    const recovered = afterRetry(set, []);
    expect(recovered).toEqual({ failures: 5, failedKeys: [] });
    expect(nextStep(recovered, 1)).toEqual({ status: "partial" });
  });

  it("a key failing on two pages is kept once", () => {
    expect(addFailures({ failures: 1, failedKeys: ["u:a"] }, ["u:a"]).failedKeys).toEqual(["u:a"]);
  });
});

describe("all-or-nothing jobs (cohort downloads)", () => {
  it("retry a failed attempt after 5, 20 and 80 s, then fail", () => {
    expect([1, 2, 3].map(afterFailedAttempt)).toEqual([5_000, 20_000, 80_000].map((inMs) => ({ status: "retry", inMs })));
    expect(afterFailedAttempt(BACKFILL_RETRY_ROUNDS + 1)).toEqual({ status: "failed" });
  });
});
