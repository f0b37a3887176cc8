import { and, eq, inArray } from "drizzle-orm";
import { profileKey, type ProfileRef } from "../core/event";
import { users } from "../db/schema";
import { profileStub } from "../durable/stub";
import type { Db } from "./db";

const LOOKUP_CHUNK = 90; // D1 caps bound parameters per statement
const CONCURRENCY = 32;

/**
 * Adds ids to (or removes them from) a static cohort. Each known profile is told of
 * its own membership — cohorts of cohorts evaluate in the profile — and records the
 * change to the membership index like any other. Ids never seen are skipped, as
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
  const known = new Set<string>();
  for (let i = 0; i < unique.length; i += LOOKUP_CHUNK) {
    const keys = unique.slice(i, i + LOOKUP_CHUNK).map((id) => profileKey({ kind, id }));
    const rows = await db
      .select({ key: users.profileKey })
      .from(users)
      .where(and(eq(users.projectId, projectId), inArray(users.profileKey, keys)));
    for (const r of rows) known.add(r.key.slice(2));
  }
  const applied = unique.filter((id) => known.has(id));
  for (let i = 0; i < applied.length; i += CONCURRENCY) {
    await Promise.all(
      applied.slice(i, i + CONCURRENCY).map((id) => profileStub(env, projectId, { kind, id }).setStaticMembership(projectId, { kind, id }, cohortId, member)),
    );
  }
  return { applied, skipped: unique.filter((id) => !known.has(id)) };
}
