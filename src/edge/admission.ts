import { ActiveProfiles, type Admission } from "../core/active-profiles";
import type { TailorConfig } from "../core/config";
import { profileObjectName, type ProfileRef } from "../core/event";

/** This isolate's window (locally one isolate serves every request, so it sees them all). */
let active: ActiveProfiles | undefined;

/**
 * Admits a request that addresses these profiles (ingestion or a read), under the
 * MAX_ACTIVE_PROFILES bound; always admits when no bound is configured.
 */
export function admitProfiles(config: TailorConfig, projectId: string, refs: readonly ProfileRef[]): Admission {
  const limit = config.activeProfiles;
  if (limit === null) return { ok: true };
  if (active === undefined || active.bound !== limit.bound || active.windowMs !== limit.windowMs) active = new ActiveProfiles(limit.bound, limit.windowMs);
  return active.admit(
    refs.map((r) => profileObjectName(projectId, r)),
    Date.now(),
  );
}
