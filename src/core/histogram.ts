/** Summaries of a value's spread across profiles, for the admin UI's distributions. */

export interface NumericBin {
  from: number;
  to: number;
  count: number;
}

export type Distribution =
  | { kind: "numeric"; count: number; missing: number; min: number; max: number; mean: number; bins: NumericBin[] }
  | { kind: "categorical"; count: number; missing: number; top: { value: string; count: number }[]; other: number }
  | { kind: "empty"; count: 0; missing: number };

/** Equal-width bins when every present value is a number; else the most frequent values. */
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
    return { kind: "numeric", count: xs.length, missing, min, max, mean, bins: out };
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
