import { and, eq, sql } from "drizzle-orm";
import { parseProfileKey, profileKey, type ProfileRef } from "../core/event";
import { cohortMembers, users } from "../db/schema";
import { profileStub } from "../durable/stub";
import type { Db } from "./db";

/** Keys per lookup, passed as one JSON parameter (D1 caps bound parameters, not their size). */
const LOOKUP_CHUNK = 5_000;
const CONCURRENCY = 32;

/** A cohort's members in the index (the first `limit` by profile key, when given). */
export async function indexedMembers(db: Db, cohortId: string, limit?: number): Promise<ProfileRef[]> {
  const query = db.select({ key: cohortMembers.profileKey }).from(cohortMembers).where(eq(cohortMembers.cohortId, cohortId)).orderBy(cohortMembers.profileKey);
  const rows = limit === undefined ? await query : await query.limit(limit);
  return rows.map((r) => parseProfileKey(r.key));
}

/** Which of these profiles exist in the project's registry (profile keys). */
export async function knownProfiles(db: Db, projectId: string, refs: readonly ProfileRef[]): Promise<Set<string>> {
  const keys = [...new Set(refs.map(profileKey))];
  const known = new Set<string>();
  for (let i = 0; i < keys.length; i += LOOKUP_CHUNK) {
    const rows = await db
      .select({ key: users.profileKey })
      .from(users)
      .where(
        and(eq(users.projectId, projectId), sql`${users.profileKey} IN (SELECT value FROM json_each(${JSON.stringify(keys.slice(i, i + LOOKUP_CHUNK))}))`),
      );
    for (const r of rows) known.add(r.key);
  }
  return known;
}

/**
 * Tells each profile of its membership of a static cohort: cohorts of cohorts evaluate
 * in the profile, and it records the change to the membership index like any other.
 */
export async function applyStaticMembership(
  env: Pick<Env, "USER_PROFILE">,
  projectId: string,
  cohortId: string,
  refs: readonly ProfileRef[],
  member: boolean,
): Promise<void> {
  for (let i = 0; i < refs.length; i += CONCURRENCY) {
    await Promise.all(refs.slice(i, i + CONCURRENCY).map((ref) => profileStub(env, projectId, ref).setStaticMembership(projectId, ref, cohortId, member)));
  }
}

/**
 * Adds ids to (or removes them from) a static cohort. Ids never seen are skipped, as
 * Amplitude skips unknown ids; a device merged into a user counts as that user.
 */
export async function setStaticMembers(
  env: Pick<Env, "USER_PROFILE">,
  db: Db,
  projectId: string,
  cohortId: string,
  ids: readonly string[],
  kind: ProfileRef["kind"],
  member: boolean,
): Promise<{ applied: string[]; skipped: string[] }> {
  const unique = [...new Set(ids)];
  const known = await knownProfiles(
    db,
    projectId,
    unique.map((id) => ({ kind, id })),
  );
  const applied = unique.filter((id) => known.has(profileKey({ kind, id })));
  await applyStaticMembership(
    env,
    projectId,
    cohortId,
    applied.map((id) => ({ kind, id })),
    member,
  );
  return { applied, skipped: unique.filter((id) => !known.has(profileKey({ kind, id }))) };
}
