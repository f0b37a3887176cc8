import { and, eq, gt, isNull } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { users } from "../db/schema";

/** Profiles per step of a walk over the registry (BACKFILL_PAGE overrides, e.g. in tests). */
const DEFAULT_PAGE = 50;

export const walkPageSize = (env: Pick<Env, "BACKFILL_PAGE">): number => Number(env.BACKFILL_PAGE ?? DEFAULT_PAGE);

/** The next page of a project's live profiles (merged devices left out), in key order after `cursor`. */
export async function registryPage(db: DrizzleD1Database, env: Pick<Env, "BACKFILL_PAGE">, projectId: string, cursor: string): Promise<string[]> {
  const page = await db
    .select({ key: users.profileKey })
    .from(users)
    .where(and(eq(users.projectId, projectId), isNull(users.mergedInto), gt(users.profileKey, cursor)))
    .orderBy(users.profileKey)
    .limit(walkPageSize(env));
  return page.map((u) => u.key);
}
