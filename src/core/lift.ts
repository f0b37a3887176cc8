/**
 * Treatment against control: conversion rates, lift and how sure it is. Two readings
 * are given: the classic fixed-sample one (a 95 % interval and the p-value of a
 * two-sided z-test, valid when read once, at a size chosen in advance) and an
 * always-valid one (an asymptotic confidence sequence, Waudby-Smith et al., "Time-
 * uniform central limit theory", 2023) that may be read after every batch without
 * inflating false positives: a winner is declared only when it excludes zero.
 */

export const Z95 = 1.959963984540054;

export interface ArmCounts {
  users: number;
  conversions: number;
  /** Sum of each user's value and of its square (revenue per user), when the goal carries a value. */
  value?: { sum: number; sum_squares: number };
}

export interface Interval {
  estimate: number;
  low: number;
  high: number;
}

export interface ArmReport {
  users: number;
  conversions: number;
  rate: Interval;
  value_per_user: Interval | null;
}

export interface LiftReport {
  treatment: ArmReport;
  control: ArmReport;
  /** Treatment rate minus control rate, and that over the control rate. */
  absolute: Interval | null;
  relative: Interval | null;
  p_value: number | null;
  /** Always-valid interval on the absolute lift; `winner` when it excludes zero. */
  sequential: (Interval & { winner: "treatment" | "control" | null }) | null;
  value_difference: Interval | null;
}

/** Φ, the standard normal CDF (Abramowitz & Stegun 7.1.26 on erf: |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** Wilson's interval for a rate (sound near 0 and 1, where the normal one is not). */
export function wilson(successes: number, n: number, z = Z95): Interval {
  if (n === 0) return { estimate: NaN, low: NaN, high: NaN };
  const p = successes / n;
  const denom = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denom;
  return { estimate: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/**
 * Half-width of the asymptotic confidence sequence for a mean over `n` units whose
 * per-unit variance is `variance`, tuned to be tightest near `plannedN` units.
 */
export function sequentialHalfWidth(variance: number, n: number, alpha = 0.05, plannedN = 10_000): number {
  const rho2 = (-2 * Math.log(alpha) + Math.log(-2 * Math.log(alpha) + 1)) / plannedN;
  const a = n * rho2 + 1;
  return Math.sqrt(variance) * Math.sqrt(((2 * a) / (n * n * rho2)) * Math.log(Math.sqrt(a) / alpha));
}

function meanAndVariance(arm: ArmCounts): { mean: number; variance: number } | null {
  if (arm.value === undefined || arm.users === 0) return null;
  const mean = arm.value.sum / arm.users;
  // One user has a mean but no spread: its interval is unknown (NaN, null in JSON).
  return { mean, variance: arm.users < 2 ? NaN : Math.max(0, (arm.value.sum_squares - arm.users * mean * mean) / (arm.users - 1)) };
}

function armReport(arm: ArmCounts): ArmReport {
  const v = meanAndVariance(arm);
  const half = v === null ? 0 : Z95 * Math.sqrt(v.variance / arm.users);
  return {
    users: arm.users,
    conversions: arm.conversions,
    rate: wilson(arm.conversions, arm.users),
    value_per_user: v === null ? null : { estimate: v.mean, low: v.mean - half, high: v.mean + half },
  };
}

export function liftReport(treatment: ArmCounts, control: ArmCounts, alpha = 0.05, plannedN = 10_000): LiftReport {
  const out: LiftReport = {
    treatment: armReport(treatment),
    control: armReport(control),
    absolute: null,
    relative: null,
    p_value: null,
    sequential: null,
    value_difference: null,
  };
  const { users: nt, conversions: xt } = treatment;
  const { users: nc, conversions: xc } = control;
  if (nt === 0 || nc === 0) return out;
  const pt = xt / nt;
  const pc = xc / nc;
  const diff = pt - pc;
  const variance = (pt * (1 - pt)) / nt + (pc * (1 - pc)) / nc;
  const se = Math.sqrt(variance);
  out.absolute = { estimate: diff, low: diff - Z95 * se, high: diff + Z95 * se };
  if (xt > 0 && xc > 0) {
    // On the log of the rate ratio (delta method), then back: an interval that stays above -100 %.
    const logRatio = Math.log(pt / pc);
    const seLog = Math.sqrt((1 - pt) / xt + (1 - pc) / xc);
    out.relative = { estimate: pt / pc - 1, low: Math.exp(logRatio - Z95 * seLog) - 1, high: Math.exp(logRatio + Z95 * seLog) - 1 };
  }
  const pooled = (xt + xc) / (nt + nc);
  const se0 = Math.sqrt(pooled * (1 - pooled) * (1 / nt + 1 / nc));
  out.p_value = se0 === 0 ? (diff === 0 ? 1 : 0) : 2 * (1 - normalCdf(Math.abs(diff) / se0));
  const n = nt + nc;
  // Smoothed rates for its variance: an arm at 0 % or 100 % after a few users must not read as certain.
  const smooth = (x: number, m: number) => (x + 0.5) / (m + 1);
  const st = smooth(xt, nt);
  const sc = smooth(xc, nc);
  const half = sequentialHalfWidth(n * ((st * (1 - st)) / nt + (sc * (1 - sc)) / nc), n, alpha, plannedN);
  const low = diff - half;
  const high = diff + half;
  out.sequential = { estimate: diff, low, high, winner: low > 0 ? "treatment" : high < 0 ? "control" : null };
  const vt = meanAndVariance(treatment);
  const vc = meanAndVariance(control);
  if (vt !== null && vc !== null) {
    const d = vt.mean - vc.mean;
    const s = Math.sqrt(vt.variance / nt + vc.variance / nc);
    out.value_difference = { estimate: d, low: d - Z95 * s, high: d + Z95 * s };
  }
  return out;
}
