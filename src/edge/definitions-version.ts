import { cacheNamespace } from "../core/isolate-cache";
import { definitionsVersion } from "../db/definitions";
import { forgetDefinitions } from "../db/definitions-cache";
import { db, type Db } from "./db";

/** Each isolate's view of a project's definitions version (ingest passes it to profiles). */
const versions = cacheNamespace<number>("definitions-version", { maxEntries: 1_000, ttlMs: 2_000 });

/** The project's definitions version, re-read at most every two seconds per isolate. */
export function definitionsVersionOf(db: Db, projectId: string): Promise<number> {
  return versions.load(projectId, async () => (await definitionsVersion(db, projectId)) ?? 0);
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
