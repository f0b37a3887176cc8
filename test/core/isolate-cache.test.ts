import { describe, expect, it } from "vitest";
import { CacheNamespace, LatestPerOwner } from "../../src/core/isolate-cache";

describe("a cache namespace", () => {
  const clock = () => {
    const c = { t: 0, now: () => c.t };
    return c;
  };

  it("holds at most its bound: the least recently used entry goes first, and is disposed of", () => {
    const disposed: string[] = [];
    const ns = new CacheNamespace<string>("t-bound", { maxEntries: 3, ttlMs: Infinity, dispose: (v) => disposed.push(v) });
    for (const k of ["a", "b", "c"]) ns.set(k, k.toUpperCase());
    expect(ns.get("a")).toBe("A"); // a is now the most recent
    ns.set("d", "D");
    expect(ns.size).toBe(3);
    expect(disposed).toEqual(["B"]);
    expect([ns.get("a"), ns.get("b"), ns.get("c"), ns.get("d")]).toEqual(["A", undefined, "C", "D"]);
    for (let i = 0; i < 1_000; i++) ns.set(`k${i}`, "x");
    expect(ns.size).toBe(3);
    ns.set("k999", "replaced");
    expect(disposed.at(-1)).toBe("x"); // a replaced value is disposed of too
  });

  it("expires a value after its time to live (shorter for a miss when ttlOf says so); sliding keeps a used value", () => {
    const c = clock();
    const ns = new CacheNamespace<string | null>("t-ttl", { maxEntries: 10, ttlMs: 1_000, ttlOf: (v) => (v === null ? 100 : 1_000) }, c.now);
    ns.set("hit", "value");
    ns.set("miss", null);
    c.t = 150;
    expect(ns.get("miss")).toBeUndefined();
    expect(ns.get("hit")).toBe("value");
    c.t = 1_000;
    expect(ns.get("hit")).toBeUndefined();
    expect(ns.size).toBe(0);

    const sliding = new CacheNamespace<string>("t-sliding", { maxEntries: 10, ttlMs: 1_000, sliding: true }, c.now);
    sliding.set("used", "u");
    sliding.set("idle", "i");
    for (c.t = 1_500; c.t <= 4_000; c.t += 500) expect(sliding.get("used")).toBe("u");
    expect(sliding.get("idle")).toBeUndefined();
  });

  it("shares one load between concurrent misses, and keeps no failed load", async () => {
    const ns = new CacheNamespace<number>("t-load", { maxEntries: 10, ttlMs: Infinity });
    let loads = 0;
    const slow = () => new Promise<number>((resolve) => setTimeout(() => resolve(++loads), 5));
    expect(await Promise.all([ns.load("k", slow), ns.load("k", slow), ns.load("k", slow)])).toEqual([1, 1, 1]);
    expect(await ns.load("k", slow)).toBe(1);
    await expect(ns.load("bad", () => Promise.reject(new Error("D1 down")))).rejects.toThrow("D1 down");
    expect(await ns.load("bad", async () => 7)).toBe(7);
  });
});

describe("one model session per definition (LatestPerOwner)", () => {
  it("loads a version once, retires the old one on a new version, and disposes of it after the grace period", async () => {
    let now = 0;
    const disposed: string[] = [];
    const loads: string[] = [];
    const cache = new LatestPerOwner<string>("test-a", (v) => disposed.push(v), { graceMs: 1_000, now: () => now });
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
    const cache = new LatestPerOwner<string>("test-b", () => {});
    await expect(cache.get("prd_a", "mdl_1", () => Promise.reject(new Error("missing from R2")))).rejects.toThrow("missing");
    await Promise.resolve();
    expect(await cache.get("prd_a", "mdl_1", async () => "loaded")).toBe("loaded");
  });

  it("a session unused for its idle time (a deleted prediction's) is retired and disposed of; so is the least recent past the bound", async () => {
    let now = 0;
    const disposed: string[] = [];
    const cache = new LatestPerOwner<string>("test-c", (v) => disposed.push(v), { graceMs: 100, idleMs: 1_000, maxOwners: 2, now: () => now });
    await cache.get("prd_deleted", "mdl_1", async () => "deleted");
    await cache.get("prd_live", "mdl_1", async () => "live");
    for (now = 500; now <= 2_000; now += 500) await cache.get("prd_live", "mdl_1", async () => "again");
    await Promise.resolve();
    expect(cache.size.held).toBe(1);
    now = 2_500;
    await cache.get("prd_live", "mdl_1", async () => "again");
    await Promise.resolve();
    expect(disposed).toEqual(["deleted"]);

    await cache.get("prd_x", "mdl_1", async () => "x");
    await cache.get("prd_y", "mdl_1", async () => "y"); // a third owner: the least recent (live) goes
    now = 3_000;
    await cache.get("prd_y", "mdl_1", async () => "y");
    await Promise.resolve();
    expect(disposed).toEqual(["deleted", "live"]);
    expect(cache.size).toEqual({ held: 2, retiring: 0 });
  });
});
