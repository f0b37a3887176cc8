import { definitionsVersion } from "../db/definitions";
import { forgetDefinitions } from "../durable/definitions-cache";
import { db, type Db } from "./db";

/** Each isolate's view of a project's definitions version (ingest passes it to profiles). */
const versions = new Map<string, { version: number; expires: number }>();
const VERSION_TTL_MS = 2_000;

/** The project's definitions version, re-read at most every two seconds per isolate. */
export async function definitionsVersionOf(db: Db, projectId: string): Promise<number> {
  const now = Date.now();
  const hit = versions.get(projectId);
  if (hit !== undefined && hit.expires > now) return hit.version;
  const version = (await definitionsVersion(db, projectId)) ?? 0;
  versions.set(projectId, { version, expires: now + VERSION_TTL_MS });
  return version;
}

/**
 * After a write that bumped the project's definitions version: this isolate's caches
 * (the version, the compiled definitions) see it at once, and, when `backfill` is set,
 * every existing profile recomputes (the ProjectJobs backfill).
 */
export async function definitionsChanged(env: Env, projectId: string, { backfill }: { backfill: boolean }): Promise<{ id: string; total: number } | undefined> {
  forgetProjectDefinitions(projectId);
  if (!backfill) return undefined;
  const version = (await definitionsVersion(db(env), projectId)) ?? 0;
  return env.PROJECT_JOBS.getByName(projectId).startBackfill(projectId, version);
}

/** This isolate's cached version and compiled definitions of a project: dropped after it wrote a change. */
export function forgetProjectDefinitions(projectId: string): void {
  versions.delete(projectId);
  forgetDefinitions(projectId);
}
