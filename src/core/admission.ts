import { ActiveProfiles, JOB_SHARE, type Admission } from "./active-profiles";
import type { TailorConfig } from "./config";
import { parseProfileKey, profileObjectName, type ProfileRef } from "./event";

/**
 * This isolate's windows of active profiles. Locally one isolate runs the Worker and every
 * Durable Object, so it sees all requests and all job steps; on Cloudflare no bound is
 * configured (MAX_ACTIVE_PROFILES unset) and everything is admitted.
 *
 * Background jobs (backfills, reconciliations, cohort downloads) have a window of their
 * own, JOB_SHARE of the bound; while a job has asked within the last window, live
 * requests get the rest. So neither starves the other — live traffic at the bound does
 * not stall a backfill, a backfill never takes the whole bound from live traffic — and
 * the two together stay within it (a job waits until live traffic has drained to its share).
 * Profiles woken by their own alarms are resident too: they are counted in a third window
 * and take room from both (countWakeup).
 */
let windows: { bound: number; windowMs: number; live: ActiveProfiles; jobs: ActiveProfiles; wakeups: ActiveProfiles; jobAskedAt: number } | undefined;

/** How soon a job refused for want of room beside live traffic asks again. */
const JOB_RECHECK_MS = 1_000;

function windowsFor(config: TailorConfig) {
  const limit = config.activeProfiles;
  if (limit === null) return null;
  if (windows === undefined || windows.bound !== limit.bound || windows.windowMs !== limit.windowMs) {
    const jobs = Math.max(1, Math.floor(limit.bound * JOB_SHARE));
    windows = {
      ...limit,
      live: new ActiveProfiles(limit.bound, limit.windowMs),
      jobs: new ActiveProfiles(jobs, limit.windowMs),
      wakeups: new ActiveProfiles(limit.bound, limit.windowMs),
      jobAskedAt: -Infinity,
    };
  }
  return windows;
}

/**
 * Admits a request that addresses these profiles (ingestion or a read), under the
 * MAX_ACTIVE_PROFILES bound (less the jobs' share while a job runs); always admits when
 * no bound is configured.
 */
export function admitProfiles(config: TailorConfig, projectId: string, refs: readonly ProfileRef[]): Admission {
  const w = windowsFor(config);
  if (w === null) return { ok: true };
  const now = Date.now();
  const share = now - w.jobAskedAt < w.windowMs ? 1 - JOB_SHARE : 1;
  return w.live.admit(
    refs.map((r) => profileObjectName(projectId, r)),
    now,
    share,
    w.wakeups.size(now),
  );
}

/**
 * Admits a job's page of profiles (their keys, `u:…`/`d:…`) under the jobs' share of the
 * bound; refused, the job waits `retryAfterMs` and tries again. A key that names no
 * profile addresses nothing, so it is not counted.
 */
export function admitJobProfiles(config: TailorConfig, projectId: string, keys: readonly string[]): Admission {
  const w = windowsFor(config);
  if (w === null) return { ok: true };
  const now = Date.now();
  // From now on live requests are held to the rest, so room beside them frees within a window.
  w.jobAskedAt = now;
  const names = keys.filter((k) => k.startsWith("u:") || k.startsWith("d:")).map((k) => profileObjectName(projectId, parseProfileKey(k)));
  const held = w.live.size(now) + w.jobs.size(now) + w.wakeups.size(now);
  if (held > 0 && held + names.length > w.bound) return { ok: false, retryAfterMs: JOB_RECHECK_MS };
  return w.jobs.admit(names, now);
}

/**
 * Called by a profile its alarm has woken: it is resident whatever anyone decides, so it
 * is counted, and live requests and jobs make room for it. Its work is not put off: a
 * woken profile costs its memory already, and woken again later it would cost it twice.
 * How many wake at once is bounded by how many were admitted a flush or a day earlier.
 */
export function countWakeup(config: TailorConfig, projectId: string, ref: ProfileRef): void {
  const w = windowsFor(config);
  if (w === null) return;
  const now = Date.now();
  const name = profileObjectName(projectId, ref);
  const counted = [w.live, w.jobs, w.wakeups].find((window) => window.has(name, now));
  (counted ?? w.wakeups).touch(name, now);
}
