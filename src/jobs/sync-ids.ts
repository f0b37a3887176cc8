import { and, eq, inArray } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { parseProfileKey, profileKey } from "../core/event";
import type { CohortWebhookMessage } from "../core/syncs/cohort-webhook";
import { destinationIdOf, idProperty, type IdOf } from "../core/syncs/destinations/lists";
import { destinationSchema, syncSchema, type Destination } from "../core/syncs/schema";
import type { Json } from "../core/json";
import { cohortMembers, departedIds, destinations, syncs } from "../db/schema";
import { profileStub } from "../durable/stub";

const CONCURRENCY = 32;

/**
 * How a destination names each user of these messages: the user id, or a property read
 * from the profile (a HubSpot record id, a Klaviyo profile id, a hashed email) — for a
 * profile erased since, the id this sync kept for it at the erasure (`departed_ids`).
 */
export async function idsFor(
  env: Pick<Env, "USER_PROFILE" | "DB">,
  projectId: string,
  syncId: string,
  destination: Destination,
  messages: readonly CohortWebhookMessage[],
): Promise<IdOf> {
  const keyOf = (u: { user_id: string | null; device_id: string | null }) =>
    profileKey(u.user_id !== null ? { kind: "user", id: u.user_id } : { kind: "device", id: u.device_id! });
  if (idProperty(destination) === null) return (u) => u.user_id;

  const keys = [...new Set(messages.flatMap((m) => m.users.map(keyOf)))];
  const ids = new Map<string, string | null>();
  const gone: string[] = [];
  for (let i = 0; i < keys.length; i += CONCURRENCY) {
    await Promise.all(
      keys.slice(i, i + CONCURRENCY).map(async (key) => {
        const profile = await profileStub(env, projectId, parseProfileKey(key)).getProfile();
        if (profile === null) gone.push(key);
        ids.set(key, profile === null ? null : await destinationIdOf(destination, profile.user_properties));
      }),
    );
  }
  const db = drizzle(env.DB);
  for (let i = 0; i < gone.length; i += 50) {
    const rows = await db
      .select({ key: departedIds.profileKey, id: departedIds.destinationUserId })
      .from(departedIds)
      .where(and(eq(departedIds.syncId, syncId), inArray(departedIds.profileKey, gone.slice(i, i + 50))));
    for (const r of rows) ids.set(r.key, r.id);
  }
  return (u) => ids.get(keyOf(u)) ?? null;
}

/** Cohort syncs to destinations that name users by a property, by cohort: whose members' ids a deletion keeps. */
export type ListSyncs = ReadonlyMap<string, readonly { syncId: string; destination: Destination }[]>;

export async function listSyncsOf(env: Pick<Env, "DB">, projectId: string): Promise<ListSyncs> {
  const db = drizzle(env.DB);
  const [syncRows, destinationRows] = await Promise.all([
    db.select({ id: syncs.id, definition: syncs.definition }).from(syncs).where(eq(syncs.projectId, projectId)),
    db.select({ id: destinations.id, definition: destinations.definition }).from(destinations).where(eq(destinations.projectId, projectId)),
  ]);
  const destinationsById = new Map(destinationRows.map((d) => [d.id, destinationSchema.safeParse(d.definition)]));
  const byCohort = new Map<string, { syncId: string; destination: Destination }[]>();
  for (const row of syncRows) {
    const sync = syncSchema.safeParse(row.definition);
    if (!sync.success || sync.data.what.kind !== "cohort") continue;
    const destination = destinationsById.get(sync.data.destination_id);
    if (destination === undefined || !destination.success || idProperty(destination.data) === null) continue;
    const list = byCohort.get(sync.data.what.cohort_id) ?? [];
    list.push({ syncId: row.id, destination: destination.data });
    byCohort.set(sync.data.what.cohort_id, list);
  }
  return byCohort;
}

/**
 * Before a profile is erased: for each of `listSyncs` whose cohort it is a member of,
 * keeps the id that destination knows it by, so the exit the deletion logs still removes
 * it there (see `idsFor`; the sync forgets the id once delivered).
 */
export async function keepDepartingIds(
  env: Pick<Env, "DB">,
  projectId: string,
  key: string,
  userProperties: Readonly<Record<string, Json>>,
  listSyncs: ListSyncs,
): Promise<void> {
  if (listSyncs.size === 0) return;
  const db = drizzle(env.DB);
  const memberOf = await db
    .select({ cohortId: cohortMembers.cohortId })
    .from(cohortMembers)
    .where(and(eq(cohortMembers.projectId, projectId), eq(cohortMembers.profileKey, key)));
  const rows = [];
  for (const { cohortId } of memberOf) {
    for (const { syncId, destination } of listSyncs.get(cohortId) ?? []) {
      const id = await destinationIdOf(destination, userProperties);
      if (id !== null) rows.push({ syncId, profileKey: key, destinationUserId: id, erasedAt: Date.now() });
    }
  }
  if (rows.length > 0) await db.insert(departedIds).values(rows).onConflictDoNothing();
}
