/**
 * How long jobs end truthfully: retry what failed with growing waits, then report it.
 *
 * A backfill's walk over the registry records the profiles whose
 * recompute failed (after settleWithRetries' quick retries); once it has passed every
 * profile, the recorded ones are retried in rounds with growing waits. The job is
 * `succeeded` only when nothing is left failed, else `partial` with the count and the
 * keys, which a resume retries again.
 */
export const BACKFILL_RETRY_ROUNDS = 3;
/** Wait before retry round n (0-based): 5 s, 20 s, 80 s (backfills, cohort downloads). */
export const retryWaitMs = (round: number): number => 5_000 * 4 ** round;
/** Failed keys kept on the job (the count covers the rest). */
export const MAX_FAILED_KEYS = 1_000;

export interface FailedSet {
  /** Profiles failed and not recovered: all of them, kept or not. */
  failures: number;
  failedKeys: string[];
}

/** Adds a page's failures to the job's. */
export function addFailures(set: FailedSet, failed: readonly string[]): FailedSet {
  const keys = [...set.failedKeys, ...failed.filter((k) => !set.failedKeys.includes(k))];
  return { failures: set.failures + failed.length, failedKeys: keys.slice(0, MAX_FAILED_KEYS) };
}

/** After retrying every kept key once: those that failed again stay; those beyond the kept ones stay counted. */
export function afterRetry(set: FailedSet, stillFailed: readonly string[]): FailedSet {
  const unkept = set.failures - set.failedKeys.length;
  return { failures: unkept + stillFailed.length, failedKeys: [...stillFailed] };
}

export type NextStep = { status: "succeeded" } | { status: "partial" } | { status: "retry"; inMs: number };

/** What follows the end of the walk, or a retry round (`round` = rounds done so far). */
export function nextStep(set: FailedSet, round: number): NextStep {
  if (set.failures === 0) return { status: "succeeded" };
  // Keys beyond the kept ones cannot be retried: the job can only be partial once the kept ones are done.
  if (set.failedKeys.length === 0 || round >= BACKFILL_RETRY_ROUNDS) return { status: "partial" };
  return { status: "retry", inMs: retryWaitMs(round) };
}

/**
 * A job that is all or nothing — a cohort download: a file missing members would be
 * silent loss — retries its whole attempt after the same waits, then fails, naming what
 * failed. `attempts` counts the failed attempts so far, this one included.
 */
export function afterFailedAttempt(attempts: number): { status: "retry"; inMs: number } | { status: "failed" } {
  return attempts <= BACKFILL_RETRY_ROUNDS ? { status: "retry", inMs: retryWaitMs(attempts - 1) } : { status: "failed" };
}
