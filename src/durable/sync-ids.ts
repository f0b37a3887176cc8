import { and, eq, inArray } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { parseProfileKey, profileKey } from "../core/event";
import { sha256Hex } from "../core/hash";
import type { CohortWebhookMessage } from "../core/syncs/cohort-webhook";
import type { IdOf } from "../core/syncs/destinations/lists";
import { normaliseEmail } from "../core/syncs/destinations/lists";
import { destinationSchema, syncSchema, type Destination } from "../core/syncs/schema";
import type { Json } from "../core/json";
import { cohortMembers, departedIds, destinations, syncs } from "../db/schema";
import { profileStub } from "./stub";

const CONCURRENCY = 32;

/** The user property a destination names users by, or "user_id" for the user id itself. */
export function idProperty(destination: Destination): string {
  return destination.type === "facebook" ? destination.email_property : destination.type === "hubspot" || destination.type === "klaviyo" ? destination.id_property : "user_id";
}

/** A profile's id at a destination that names users by a property (hashed, for Facebook), or null. */
export async function destinationIdOf(destination: Destination, userProperties: Record<string, Json>): Promise<string | null> {
  const value = userProperties[idProperty(destination)];
  if (typeof value !== "string" && typeof value !== "number") return null;
  return destination.type === "facebook" ? sha256Hex(normaliseEmail(String(value))) : String(value);
}

/**
 * How a destination names each user of these messages: the user id, or a property read
 * from the profile (a HubSpot record id, a Klaviyo profile id, a hashed email) — for a
 * profile erased since, the id this sync kept for it at the erasure (`departed_ids`).
 */
export async function idsFor(env: Pick<Env, "USER_PROFILE" | "DB">, projectId: string, syncId: string, destination: Destination, messages: readonly CohortWebhookMessage[]): Promise<IdOf> {
  const keyOf = (u: { user_id: string | null; device_id: string | null }) =>
    profileKey(u.user_id !== null ? { kind: "user", id: u.user_id } : { kind: "device", id: u.device_id! });
  if (idProperty(destination) === "user_id") return (u) => u.user_id;

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

/**
 * Before a profile is erased: for each cohort sync to a list destination whose cohort it
 * is a member of, keeps the id that destination knows it by, so the exit the deletion
 * logs still removes it there (see `idsFor`; the sync forgets the id once delivered).
 */
export async function keepDepartingIds(env: Pick<Env, "DB">, projectId: string, key: string, userProperties: Record<string, Json>): Promise<void> {
  const db = drizzle(env.DB);
  const member = new Set((await db.select({ cohortId: cohortMembers.cohortId }).from(cohortMembers).where(and(eq(cohortMembers.projectId, projectId), eq(cohortMembers.profileKey, key)))).map((r) => r.cohortId));
  if (member.size === 0) return;
  const [syncRows, destinationRows] = await Promise.all([
    db.select({ id: syncs.id, definition: syncs.definition }).from(syncs).where(eq(syncs.projectId, projectId)),
    db.select({ id: destinations.id, definition: destinations.definition }).from(destinations).where(eq(destinations.projectId, projectId)),
  ]);
  const destinationsById = new Map(destinationRows.map((d) => [d.id, destinationSchema.safeParse(d.definition)]));
  const rows = [];
  for (const row of syncRows) {
    const sync = syncSchema.safeParse(row.definition);
    if (!sync.success || sync.data.what.kind !== "cohort" || !member.has(sync.data.what.cohort_id)) continue;
    const destination = destinationsById.get(sync.data.destination_id);
    if (destination === undefined || !destination.success || idProperty(destination.data) === "user_id") continue;
    const id = await destinationIdOf(destination.data, userProperties);
    if (id !== null) rows.push({ syncId: row.id, profileKey: key, destinationUserId: id, erasedAt: Date.now() });
  }
  if (rows.length > 0) await db.insert(departedIds).values(rows).onConflictDoNothing();
}
