import { ActiveProfiles, JOB_SHARE, type Admission } from "./active-profiles";
import type { TailorConfig } from "./config";
import { parseProfileKey, profileObjectName, type ProfileRef } from "./event";

/**
 * This isolate's window of active profiles. Locally one isolate runs the Worker and every
 * Durable Object, so it sees all requests and all job steps; on Cloudflare no bound is
 * configured (MAX_ACTIVE_PROFILES unset) and everything is admitted.
 */
let active: ActiveProfiles | undefined;

function admit(config: TailorConfig, names: readonly string[], share: number): Admission {
  const limit = config.activeProfiles;
  if (limit === null) return { ok: true };
  if (active === undefined || active.bound !== limit.bound || active.windowMs !== limit.windowMs) active = new ActiveProfiles(limit.bound, limit.windowMs);
  return active.admit(names, Date.now(), share);
}

/**
 * Admits a request that addresses these profiles (ingestion or a read), under the
 * MAX_ACTIVE_PROFILES bound; always admits when no bound is configured.
 */
export function admitProfiles(config: TailorConfig, projectId: string, refs: readonly ProfileRef[]): Admission {
  return admit(config, refs.map((r) => profileObjectName(projectId, r)), 1);
}

/**
 * Admits a job's page of profiles (their keys, `u:…`/`d:…`) under JOB_SHARE of the bound;
 * refused, the job waits `retryAfterMs` and tries again. A key that names no profile
 * addresses nothing, so it is not counted.
 */
export function admitJobProfiles(config: TailorConfig, projectId: string, keys: readonly string[]): Admission {
  const names = keys.filter((k) => k.startsWith("u:") || k.startsWith("d:")).map((k) => profileObjectName(projectId, parseProfileKey(k)));
  return admit(config, names, JOB_SHARE);
}
