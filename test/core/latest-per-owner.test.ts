import { describe, expect, it } from "vitest";
import { LatestPerOwner } from "../../src/durable/scoring/isolate-cache";

describe("one model session per definition", () => {
  it("loads a version once, retires the old one on a new version, and disposes of it after the grace period", async () => {
    let now = 0;
    const disposed: string[] = [];
    const loads: string[] = [];
    const cache = new LatestPerOwner<string>((v) => disposed.push(v), 1_000, () => now);
    const load = (v: string) => async () => (loads.push(v), v);
    expect(await cache.get("prd_a", "mdl_1", load("a1"))).toBe("a1");
    expect(await cache.get("prd_a", "mdl_1", load("again"))).toBe("a1");
    expect(await cache.get("prd_b", "mdl_9", load("b9"))).toBe("b9");
    expect(loads).toEqual(["a1", "b9"]);

    // Retrained: v2 replaces v1, which is kept through the grace period (a profile may still score with it).
    expect(await cache.get("prd_a", "mdl_2", load("a2"))).toBe("a2");
    expect(cache.size).toEqual({ held: 2, retiring: 1 });
    now = 500;
    await cache.get("prd_a", "mdl_2", load("x"));
    expect(disposed).toEqual([]);
    now = 1_000;
    await cache.get("prd_a", "mdl_2", load("x"));
    await Promise.resolve();
    expect(disposed).toEqual(["a1"]);
    expect(cache.size).toEqual({ held: 2, retiring: 0 });

    // Many retrains never hold more than one session per definition.
    for (let v = 3; v < 20; v++) await cache.get("prd_a", `mdl_${v}`, load(`a${v}`));
    now = 10_000;
    await cache.get("prd_b", "mdl_9", load("x"));
    await Promise.resolve();
    expect(cache.size).toEqual({ held: 2, retiring: 0 });
    expect(disposed).toHaveLength(18);
  });

  it("a failed load is forgotten, so the next call loads again", async () => {
    const cache = new LatestPerOwner<string>(() => {});
    await expect(cache.get("prd_a", "mdl_1", () => Promise.reject(new Error("missing from R2")))).rejects.toThrow("missing");
    await Promise.resolve();
    expect(await cache.get("prd_a", "mdl_1", async () => "loaded")).toBe("loaded");
  });
});
