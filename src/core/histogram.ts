/** Summaries of a value's spread across profiles, for the admin UI's distributions. */

export interface NumericBin {
  from: number;
  to: number;
  count: number;
}

export type Distribution =
  | {
      kind: "numeric";
      count: number;
      missing: number;
      min: number;
      max: number;
      mean: number;
      /** "log" when equal widths would put most values in the first bin: then each bin is wider than the last by the same factor. */
      scale: "linear" | "log";
      bins: NumericBin[];
    }
  | { kind: "categorical"; count: number; missing: number; top: { value: string; count: number }[]; other: number }
  | { kind: "empty"; count: 0; missing: number };

/**
 * Skewed non-negative values (revenue, counts: most small, a few large) in bins whose edges
 * grow by a constant factor from the smallest positive value, with zeros in a bin of their
 * own; null when the values do not allow it (negatives, no positive spread).
 */
function logarithmicBins(xs: readonly number[], min: number, max: number, n: number): NumericBin[] | null {
  if (min < 0) return null;
  const low = xs.reduce((m, x) => (x > 0 && x < m ? x : m), Infinity);
  if (!Number.isFinite(low) || low >= max) return null;
  const zeros = xs.some((x) => x === 0);
  const steps = zeros ? n - 1 : n;
  const factor = (max / low) ** (1 / steps);
  const edges = Array.from({ length: steps + 1 }, (_, i) => (i === steps ? max : low * factor ** i));
  const out: NumericBin[] = [...(zeros ? [{ from: 0, to: 0, count: 0 }] : []), ...edges.slice(0, -1).map((from, i) => ({ from, to: edges[i + 1]!, count: 0 }))];
  for (const x of xs) {
    if (x === 0) out[0]!.count++;
    else out[(zeros ? 1 : 0) + Math.min(steps - 1, Math.max(0, Math.floor(Math.log(x / low) / Math.log(factor))))]!.count++;
  }
  return out;
}

/** Equal-width bins when every present value is a number (log-spaced when most would fall in the first); else the most frequent values. */
export function distribution(values: readonly unknown[], bins = 12, top = 12): Distribution {
  const present = values.filter((v) => v !== null && v !== undefined);
  const missing = values.length - present.length;
  if (present.length === 0) return { kind: "empty", count: 0, missing };
  if (present.every((v) => typeof v === "number" && Number.isFinite(v))) {
    const xs = present as number[];
    // Loops, not Math.min(...xs): a spread of a large sample overflows the call stack.
    const min = xs.reduce((m, x) => Math.min(m, x), Infinity);
    const max = xs.reduce((m, x) => Math.max(m, x), -Infinity);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const n = min === max ? 1 : bins;
    const width = (max - min) / n || 1;
    const out: NumericBin[] = Array.from({ length: n }, (_, i) => ({ from: min + i * width, to: i === n - 1 ? max : min + (i + 1) * width, count: 0 }));
    for (const x of xs) out[Math.min(n - 1, Math.floor((x - min) / width))]!.count++;
    const logBins = out[0]!.count > xs.length / 2 && n > 1 ? logarithmicBins(xs, min, max, n) : null;
    return { kind: "numeric", count: xs.length, missing, min, max, mean, scale: logBins === null ? "linear" : "log", bins: logBins ?? out };
  }
  const counts = new Map<string, number>();
  for (const v of present.flatMap((v) => (Array.isArray(v) ? v : [v]))) {
    const key = typeof v === "string" ? v : JSON.stringify(v);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const sorted = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return {
    kind: "categorical",
    count: present.length,
    missing,
    top: sorted.slice(0, top).map(([value, count]) => ({ value, count })),
    other: sorted.slice(top).reduce((s, [, c]) => s + c, 0),
  };
}

/** Scores (0–1) in ten equal bins from 0 to 1, whatever their spread, so two readings compare; nulls are missing. */
export function scoreDistribution(scores: readonly (number | null)[]): Distribution {
  const present = scores.filter((s): s is number => s !== null && Number.isFinite(s));
  if (present.length === 0) return { kind: "empty", count: 0, missing: scores.length };
  const bins: NumericBin[] = Array.from({ length: 10 }, (_, i) => ({ from: i / 10, to: (i + 1) / 10, count: 0 }));
  for (const s of present) bins[Math.min(9, Math.max(0, Math.floor(s * 10)))]!.count++;
  return {
    kind: "numeric",
    count: present.length,
    missing: scores.length - present.length,
    min: present.reduce((m, x) => Math.min(m, x), Infinity),
    max: present.reduce((m, x) => Math.max(m, x), -Infinity),
    mean: present.reduce((a, b) => a + b, 0) / present.length,
    scale: "linear",
    bins,
  };
}

const DAY = 86_400_000;

/** Daily entered/exited counts for the last `days` days (UTC), zero-filled, oldest first. */
export function dailyChanges(rows: readonly { day: number; in_cohort: boolean | number; n: number }[], now: number, days: number) {
  const today = Math.floor(now / DAY);
  const series = Array.from({ length: days }, (_, i) => ({ day: (today - days + 1 + i) * DAY, entered: 0, exited: 0 }));
  for (const r of rows) {
    const slot = series[Math.floor(r.day) - (today - days + 1)];
    if (slot === undefined) continue;
    if (r.in_cohort === true || r.in_cohort === 1) slot.entered += r.n;
    else slot.exited += r.n;
  }
  return series;
}
