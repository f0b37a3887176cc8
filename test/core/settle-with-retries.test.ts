import { describe, expect, it } from "vitest";
import { settleWithRetries } from "../../src/core/settle-with-retries";

describe("settleWithRetries", () => {
  it("retries only what failed, with doubling waits, and reports what still fails", async () => {
    const calls: string[] = [];
    const waits: number[] = [];
    const failuresLeft = new Map([
      ["a", 0],
      ["b", 1],
      ["c", 5],
    ]);
    const failed = await settleWithRetries(
      ["a", "b", "c"],
      async (item) => {
        calls.push(item);
        const left = failuresLeft.get(item)!;
        failuresLeft.set(item, left - 1);
        if (left > 0) throw new Error(`${item} busy`);
      },
      { attempts: 3, firstWaitMs: 100, sleep: async (ms) => void waits.push(ms) },
    );
    expect(calls).toEqual(["a", "b", "c", "b", "c", "c"]);
    expect(waits).toEqual([100, 200]);
    expect(failed.map((f) => [f.item, String(f.reason)])).toEqual([["c", "Error: c busy"]]);
  });

  it("does not wait when everything succeeds at once", async () => {
    const waits: number[] = [];
    expect(await settleWithRetries([1, 2], async () => undefined, { sleep: async (ms) => void waits.push(ms) })).toEqual([]);
    expect(waits).toEqual([]);
  });
});
