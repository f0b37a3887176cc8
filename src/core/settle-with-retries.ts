/**
 * Runs `run` for every item at once and retries those that fail, all together, up to
 * `attempts` times with doubling waits; answers the failures of the last attempt.
 * For work whose failures are mostly transient (a Durable Object reset, or SQLite's
 * process-wide memory running short while many objects work at once).
 */
export async function settleWithRetries<T>(
  items: readonly T[],
  run: (item: T) => Promise<unknown>,
  {
    attempts = 3,
    firstWaitMs = 200,
    sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
  }: { attempts?: number; firstWaitMs?: number; sleep?: (ms: number) => Promise<void> } = {},
): Promise<{ item: T; reason: unknown }[]> {
  let pending = [...items];
  let failed: { item: T; reason: unknown }[] = [];
  for (let attempt = 0; attempt < attempts && pending.length > 0; attempt++) {
    if (attempt > 0) await sleep(firstWaitMs * 2 ** (attempt - 1));
    const results = await Promise.allSettled(pending.map(run));
    failed = results.flatMap((r, i) => (r.status === "rejected" ? [{ item: pending[i]!, reason: r.reason as unknown }] : []));
    pending = failed.map((f) => f.item);
  }
  return failed;
}
