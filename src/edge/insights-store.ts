import { and, desc, eq, gte, isNull, lt, sql } from "drizzle-orm";
import type { ProfileRef } from "../core/event";
import { dailyChanges } from "../core/histogram";
import { withScores } from "../core/scores";
import type { SampledProfile } from "../core/segments/preview";
import { membershipChanges, users } from "../db/schema";
import { profileStub } from "../durable/stub";
import { db, type Db } from "./db";
import { requireAdmission } from "./ingest-pipeline";

/**
 * What the admin API's charts and estimates read: a cohort's daily moves (D1's change log)
 * and samples of profiles (drawn from D1's registry, read from their Durable Objects, 25
 * at a time — values live in each profile, so a sample is read, never all).
 */
const DAY = 86_400_000;

/** A cohort's entries and exits per UTC day over the last `days`, oldest first: one index range of the change log. */
export async function dailyCohortChanges(d: Db, cohortId: string, days: number, now: number) {
  const since = (Math.floor(now / DAY) - days + 1) * DAY;
  const rows = await d
    .select({
      day: sql<number>`CAST(${membershipChanges.changedAt} / ${sql.raw(String(DAY))} AS INTEGER)`,
      in_cohort: membershipChanges.inCohort,
      n: sql<number>`count(*)`,
    })
    .from(membershipChanges)
    .where(and(eq(membershipChanges.cohortId, cohortId), gte(membershipChanges.changedAt, since)))
    .groupBy(sql`1`, membershipChanges.inCohort);
  return dailyChanges(rows, now, days);
}

const refOf = (p: { userId: string | null; deviceId: string | null }): ProfileRef =>
  p.userId !== null ? { kind: "user", id: p.userId } : { kind: "device", id: p.deviceId ?? "" };
const live = (projectId: string) => and(eq(users.projectId, projectId), isNull(users.mergedInto));

const READS_AT_ONCE = 25;

/**
 * Up to `n` of the project's profiles (merged devices left out), and how many there are.
 * The sample is pseudo-random but fixed (registry rows ordered by a multiplicative hash of
 * their rowid, which has nothing to do with behaviour): every preview of an edited
 * definition reads the same profiles, so two estimates differ by the edit, not by the
 * draw, and a repeated preview wakes no new profile.
 */
async function sampledProfiles(d: Db, projectId: string, n: number): Promise<{ total: number; refs: ProfileRef[] }> {
  const [[total], picked] = await Promise.all([
    d.select({ n: sql<number>`count(*)` }).from(users).where(live(projectId)),
    d.select({ userId: users.userId, deviceId: users.deviceId }).from(users).where(live(projectId)).orderBy(sql`(rowid * 2654435761) % 4294967296`).limit(n),
  ]);
  return { total: total?.n ?? 0, refs: picked.map(refOf) };
}

/** Reads each profile (admitted under the local bound first), READS_AT_ONCE at a time, in order. */
async function readEach<T>(env: Env, projectId: string, refs: readonly ProfileRef[], read: (stub: ReturnType<typeof profileStub>) => Promise<T>): Promise<T[]> {
  requireAdmission(env, projectId, refs);
  const out: T[] = [];
  for (let i = 0; i < refs.length; i += READS_AT_ONCE)
    out.push(...(await Promise.all(refs.slice(i, i + READS_AT_ONCE).map((ref) => read(profileStub(env, projectId, ref))))));
  return out;
}

/** The `n` most recently seen profiles. */
async function recentProfiles(env: Env, projectId: string, n: number): Promise<ProfileRef[]> {
  const rows = await db(env)
    .select({ userId: users.userId, deviceId: users.deviceId })
    .from(users)
    .where(live(projectId))
    .orderBy(desc(users.lastSeen))
    .limit(n);
  return rows.map(refOf);
}

/** Events and properties (with scores) of up to `n` sampled profiles, as a cohort estimate replays them; and how many profiles there are. */
export async function sampleForEstimate(env: Env, projectId: string, n: number): Promise<{ total: number; sample: SampledProfile[] }> {
  const { total, refs } = await sampledProfiles(db(env), projectId, n);
  const read = await readEach(env, projectId, refs, async (stub) => {
    const [profile, events] = await Promise.all([stub.read(false), stub.getEvents(Number.MAX_SAFE_INTEGER)]);
    return profile === null ? null : { events, properties: withScores(profile.profile.user_properties, profile.scores) };
  });
  return { total, sample: read.filter((p) => p !== null) };
}

/** A prediction's current score (null when unscored) in each of the `n` most recently seen profiles. */
export async function recentScores(env: Env, projectId: string, predictionId: string, n: number): Promise<(number | null)[]> {
  return readEach(env, projectId, await recentProfiles(env, projectId, n), async (stub) => (await stub.read(false))?.scores[predictionId]?.score ?? null);
}

/** A computed property's value (null when missing) in each of the `n` most recently seen profiles. */
export async function recentComputedValues(env: Env, projectId: string, computationId: string, n: number): Promise<unknown[]> {
  return readEach(env, projectId, await recentProfiles(env, projectId, n), async (stub) => (await stub.getSegments())?.computations[computationId] ?? null);
}

/** Profiles whose user_id or device_id starts with `prefix` (merged devices left out), by id: a range of the registry's key. */
export async function searchProfiles(d: Db, projectId: string, prefix: string, limit: number) {
  const range = (kind: "u" | "d") =>
    d
      .select({ userId: users.userId, deviceId: users.deviceId, eventCount: users.eventCount, lastSeen: users.lastSeen })
      .from(users)
      .where(and(live(projectId), gte(users.profileKey, `${kind}:${prefix}`), lt(users.profileKey, `${kind}:${prefix}\uffff`)))
      .orderBy(users.profileKey)
      .limit(limit);
  const [byUser, byDevice] = await Promise.all([range("u"), range("d")]);
  return [...byUser, ...byDevice].slice(0, limit).map((r) => ({ user_id: r.userId, device_id: r.deviceId, event_count: r.eventCount, last_seen: r.lastSeen }));
}
