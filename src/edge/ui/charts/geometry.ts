/** Chart geometry, free of rendering: scales, ticks, paths and bar layouts for inline SVG. */

export interface Frame {
  width: number;
  height: number;
  margin: { top: number; right: number; bottom: number; left: number };
}

export const FRAME: Frame = { width: 320, height: 220, margin: { top: 10, right: 12, bottom: 34, left: 44 } };

export type Scale = (v: number) => number;

/** Linear map of `domain` onto `range` (a flat domain maps to the range's middle). */
export function linear(domain: readonly [number, number], range: readonly [number, number]): Scale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  if (d1 === d0) return () => (r0 + r1) / 2;
  return (v) => r0 + ((v - d0) / (d1 - d0)) * (r1 - r0);
}

/** The plot area's x and y scales for a frame (y grows upwards). */
export function plotScales(frame: Frame, x: readonly [number, number], y: readonly [number, number]): { x: Scale; y: Scale } {
  const { width, height, margin } = frame;
  return { x: linear(x, [margin.left, width - margin.right]), y: linear(y, [height - margin.bottom, margin.top]) };
}

/** About `count` round tick values covering [min, max] (steps of 1, 2 or 5 × 10^k). */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (max === min) return [min];
  const step = niceStep(max - min, count);
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step - 1e-9) * step; t <= max + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

/** The round tick step (1, 2 or 5 × 10^k) that splits [0, span] into about `count` parts. */
export function niceStep(span: number, count = 4): number {
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
}

/** `v` rounded up to a whole tick step, so a chart's top has a tick. */
export function niceMax(v: number, count = 4): number {
  if (!(v > 0)) return 1;
  const step = niceStep(v, count);
  return Number((Math.ceil(v / step - 1e-9) * step).toPrecision(12));
}

const r = (v: number) => Math.round(v * 10) / 10;

/** An SVG path through the points, in order. */
export function linePath(points: readonly (readonly [number, number])[], x: Scale, y: Scale): string {
  return points.map(([px, py], i) => `${i === 0 ? "M" : "L"}${r(x(px))},${r(y(py))}`).join("");
}

export interface BarRect {
  x: number;
  y: number;
  width: number;
  height: number;
  negative: boolean;
}

/** Vertical bars, one per value, in equal slots; negative values hang below zero. */
export function barLayout(values: readonly number[], frame: Frame, gap = 0.15): { bars: BarRect[]; y: Scale; domain: [number, number] } {
  const { width, height, margin } = frame;
  const lo = Math.min(0, ...values);
  const hi = Math.max(0, ...values);
  const domain: [number, number] = [lo < 0 ? -niceMax(-lo) : 0, hi === 0 && lo === 0 ? 1 : hi > 0 ? niceMax(hi) : 0];
  const y = linear(domain, [height - margin.bottom, margin.top]);
  const slot = (width - margin.left - margin.right) / Math.max(1, values.length);
  const bars = values.map((v, i) => {
    const top = y(Math.max(0, v));
    return { x: r(margin.left + i * slot + (slot * gap) / 2), y: r(top), width: r(slot * (1 - gap)), height: r(Math.abs(y(v) - y(0))), negative: v < 0 };
  });
  return { bars, y, domain };
}

/** Horizontal bars for signed values (e.g. feature weights), zero at the middle when both signs occur. */
export function hbarLayout(values: readonly number[], width: number, labelWidth: number, rowHeight: number): { x: Scale; bars: BarRect[]; zero: number } {
  const m = Math.max(1e-12, ...values.map(Math.abs));
  const hasNegative = values.some((v) => v < 0);
  const x = linear(hasNegative ? [-m, m] : [0, m], [labelWidth, width - 8]);
  const zero = x(0);
  const bars = values.map((v, i) => ({
    x: r(Math.min(zero, x(v))),
    y: r(i * rowHeight + 3),
    width: r(Math.abs(x(v) - zero)),
    height: rowHeight - 6,
    negative: v < 0,
  }));
  return { x, bars, zero: r(zero) };
}
