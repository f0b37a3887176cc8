import { describe, expect, it } from "vitest";
import { simulate } from "../../bench/lift-sim";
import { liftReport, normalCdf, sequentialHalfWidth, wilson } from "../../src/core/lift";

describe("lift statistics, pinned to hand-computed cases", () => {
  // 120 of 1,000 treated users converted, 100 of 1,000 in control.
  const r = liftReport({ users: 1000, conversions: 120 }, { users: 1000, conversions: 100 });

  it("rates with Wilson intervals", () => {
    expect(r.treatment.rate.estimate).toBe(0.12);
    expect(r.treatment.rate.low).toBeCloseTo(0.1013, 4);
    expect(r.treatment.rate.high).toBeCloseTo(0.1416, 4);
    expect(wilson(0, 10).low).toBe(0);
    expect(wilson(0, 10).high).toBeCloseTo(0.2775, 4);
  });

  it("absolute lift ± 1.96 × the unpooled standard error; relative lift on the log rate ratio", () => {
    // se = √(.12·.88/1000 + .1·.9/1000) = .013986
    expect(r.absolute!.estimate).toBeCloseTo(0.02, 12);
    expect(r.absolute!.low).toBeCloseTo(-0.00741, 5);
    expect(r.absolute!.high).toBeCloseTo(0.04741, 5);
    // se(log) = √(.88/120 + .9/100) = .12780; exp(ln 1.2 ± 1.96 se) − 1
    expect(r.relative!.estimate).toBeCloseTo(0.2, 12);
    expect(r.relative!.low).toBeCloseTo(-0.0659, 4);
    expect(r.relative!.high).toBeCloseTo(0.5416, 4);
  });

  it("the p-value of the two-sided pooled z-test", () => {
    // pooled .11, se0 = √(.11·.89·2/1000) = .013993, z = 1.4293
    expect(r.p_value!).toBeCloseTo(0.1529, 3);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-1)).toBeCloseTo(0.158655, 6);
  });

  it("an always-valid interval wider than the fixed one, that names no winner here", () => {
    expect(r.sequential!.low).toBeLessThan(r.absolute!.low);
    expect(r.sequential!.high).toBeGreaterThan(r.absolute!.high);
    expect(r.sequential!.winner).toBeNull();
    // It narrows as users arrive, like 1/√n up to a log factor.
    expect(sequentialHalfWidth(0.1, 100_000) / sequentialHalfWidth(0.1, 10_000)).toBeLessThan(0.45);
    // Three of three against none of three is not certainty.
    expect(liftReport({ users: 3, conversions: 3 }, { users: 3, conversions: 0 }).sequential!.winner).toBeNull();
  });

  it("value per user: mean and the difference's interval from sums and sums of squares", () => {
    const v = liftReport(
      { users: 4, conversions: 2, value: { sum: 40, sum_squares: 1000 } },
      { users: 4, conversions: 1, value: { sum: 20, sum_squares: 400 } },
    );
    // treatment values e.g. 0, 0, 10, 30: mean 10, variance (1000 − 4·100)/3 = 200
    expect(v.treatment.value_per_user!.estimate).toBe(10);
    expect(v.value_difference!.estimate).toBe(5);
    expect(v.value_difference!.high - v.value_difference!.estimate).toBeCloseTo(1.959964 * Math.sqrt(200 / 4 + 100 / 4), 4);
  });
});

describe("lift statistics, simulated (bench/lift-sim.ts)", () => {
  it("the fixed 95 % interval covers the true lift at its nominal rate", () => {
    const { fixed_coverage } = simulate(2_000, 1, 2_000, 0.1, 0.02, 11);
    expect(fixed_coverage).toBeGreaterThan(0.935);
    expect(fixed_coverage).toBeLessThan(0.965);
  });

  it("with no effect, checking after every batch: the sequential test rarely names a winner, peeking at p < 0.05 often does", () => {
    const aa = simulate(300, 50, 200, 0.1, 0, 5);
    expect(aa.sequential_winner).toBeLessThanOrEqual(0.05);
    expect(aa.peeking_winner).toBeGreaterThan(0.15);
  });

  it("with an effect, the always-valid interval covers it at every look and finds the winner", () => {
    const ab = simulate(200, 50, 400, 0.1, 0.02, 23);
    expect(ab.sequential_coverage_at_every_look).toBeGreaterThanOrEqual(0.95);
    expect(ab.sequential_winner).toBeGreaterThan(0.8);
  });
});
