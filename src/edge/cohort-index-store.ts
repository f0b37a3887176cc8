import { and, count, eq, gte, inArray } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { cohortMembers, membershipChanges } from "../db/schema";
import type { Db } from "./db";

// Reads of the membership index (cohort_members) and its change log: sizes, trends, overlaps.

/** Entries and exits of each cohort since `since`, from the change log: one batch, one index range per cohort. */
export async function cohortTrends(db: Db, ids: string[], since: number): Promise<Map<string, { entered: number; exited: number }>> {
  const out = new Map<string, { entered: number; exited: number }>();
  if (ids.length === 0) return out;
  const queries = ids.map((id) =>
    db
      .select({ inCohort: membershipChanges.inCohort, n: count() })
      .from(membershipChanges)
      .where(and(eq(membershipChanges.cohortId, id), gte(membershipChanges.changedAt, since)))
      .groupBy(membershipChanges.inCohort),
  );
  const results = await db.batch(queries as [(typeof queries)[number], ...(typeof queries)[number][]]);
  results.forEach((rows, i) => {
    out.set(ids[i]!, { entered: rows.find((r) => r.inCohort)?.n ?? 0, exited: rows.find((r) => !r.inCohort)?.n ?? 0 });
  });
  return out;
}

/** Member counts: of the listed cohorts, or of every cohort of the project (one grouped scan, no bound-parameter limit). */
export async function cohortSizes(db: Db, projectId: string, ids?: string[]): Promise<Map<string, number>> {
  if (ids?.length === 0) return new Map();
  const rows = await db
    .select({ id: cohortMembers.cohortId, n: count() })
    .from(cohortMembers)
    .where(ids === undefined ? eq(cohortMembers.projectId, projectId) : and(eq(cohortMembers.projectId, projectId), inArray(cohortMembers.cohortId, ids)))
    .groupBy(cohortMembers.cohortId);
  return new Map(rows.map((r) => [r.id, r.n]));
}

/** How many members of `cohortId` each of `others` shares with it (from the membership index; a cohort sharing none is left out). */
export async function cohortOverlaps(db: Db, cohortId: string, others: readonly string[]): Promise<Map<string, number>> {
  if (others.length === 0) return new Map();
  const b = alias(cohortMembers, "b");
  const rows = await db
    .select({ id: b.cohortId, n: count() })
    .from(cohortMembers)
    .innerJoin(b, and(eq(b.profileKey, cohortMembers.profileKey), inArray(b.cohortId, [...others])))
    .where(eq(cohortMembers.cohortId, cohortId))
    .groupBy(b.cohortId);
  return new Map(rows.map((r) => [r.id, r.n]));
}
