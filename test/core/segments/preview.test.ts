import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../../src/core/hash";
import { sizeInterval } from "../../../src/core/segments/preview";

/** `n` of `population` drawn without replacement (partial Fisher–Yates), seeded. */
function draw(population: boolean[], n: number, rng: () => number): boolean[] {
  const a = [...population];
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(((rng() >>> 0) / 2 ** 32) * (a.length - i));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a.slice(0, n);
}

describe("a cohort size's interval from a sample", () => {
  it("covers the true size about 95 % of the time (a rare cohort, as the data set's 58 of 4,372)", () => {
    const [N, M] = [4372, 58];
    const population = Array.from({ length: N }, (_, i) => i < M);
    const rng = mulberry32(17);
    for (const n of [200, 500]) {
      let covered = 0;
      const runs = 2000;
      for (let r = 0; r < runs; r++) {
        const matched = draw(population, n, rng).filter(Boolean).length;
        const { low, high } = sizeInterval(matched, n, N);
        if (low <= M && M <= high) covered++;
      }
      expect(covered / runs, `n = ${n}`).toBeGreaterThan(0.93);
    }
  });

  it("covers a common cohort too, and narrows as the sample grows", () => {
    const [N, M] = [4372, 1800];
    const population = Array.from({ length: N }, (_, i) => i < M);
    const rng = mulberry32(5);
    let covered = 0;
    for (let r = 0; r < 1000; r++) {
      const { low, high } = sizeInterval(draw(population, 500, rng).filter(Boolean).length, 500, N);
      if (low <= M && M <= high) covered++;
    }
    expect(covered / 1000).toBeGreaterThan(0.93);
    const width = (n: number) => {
      const { low, high } = sizeInterval(Math.round((n * M) / N), n, N);
      return high - low;
    };
    expect(width(4000)).toBeLessThan(width(1000));
    expect(width(1000)).toBeLessThan(width(200));
  });

  it("is the size itself when every profile was read, and keeps to what the sample saw", () => {
    expect(sizeInterval(58, 4372, 4372)).toEqual({ low: 58, high: 58 });
    // 3 members seen: at least 3; 197 non-members seen: at most N − 197.
    const some = sizeInterval(3, 200, 210);
    expect(some.low).toBeGreaterThanOrEqual(3);
    expect(some.high).toBeLessThanOrEqual(13);
    // None seen: the interval starts at 0 and says how many could still hide.
    const none = sizeInterval(0, 200, 4372);
    expect(none.low).toBe(0);
    expect(none.high).toBeGreaterThan(0);
    expect(none.high).toBeLessThan(120);
    expect(sizeInterval(0, 0, 100)).toEqual({ low: 0, high: 100 });
  });
});
