import { and, eq, inArray, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { parseProfileKey } from "../core/event";
import type { Json } from "../core/json";
import { propertyExportFile, syncExportPrefix } from "../core/syncs/export-file";
import { propertyChanges, propertyMessages, propertyNames, propertyValues, type PropertyChange } from "../core/syncs/property-diff";
import type { Destination, Sync } from "../core/syncs/schema";
import { propertyRequests, type OutboundRequest } from "../core/syncs/destinations/requests";
import { cohortMembers, syncValues } from "../db/schema";
import { syncable } from "./global-control";
import { profileStub } from "../durable/stub";

const READ_CONCURRENCY = 32;
const D1_ROWS = 50;

export interface PropertySync {
  id: string;
  projectId: string;
  what: Extract<Sync["what"], { kind: "properties" }>;
  batchSize: number;
}

/**
 * One run of a property sync: each member's current values (one profile read each) are
 * compared with what was last delivered to it; only differences go out, in batches,
 * and each delivered batch moves the delivered state — the cursor — so a failed run
 * resumes with exactly what is still different. Former members get their values cleared.
 */
export async function runPropertySync(
  env: Pick<Env, "DB" | "ARCHIVE" | "USER_PROFILE">,
  sync: PropertySync,
  destination: Destination,
  send: (request: OutboundRequest) => Promise<string | null>,
  now: number,
): Promise<{ sent: number; failed: number; error: string | null }> {
  const db = drizzle(env.DB);
  const sendable = await syncable(db, sync.projectId);
  const members = (await db.select({ key: cohortMembers.profileKey }).from(cohortMembers).where(eq(cohortMembers.cohortId, sync.what.cohort_id))).filter((m) =>
    sendable(m.key),
  );
  const delivered = new Map(
    (await db.select({ key: syncValues.profileKey, digest: syncValues.digest }).from(syncValues).where(eq(syncValues.syncId, sync.id))).map((r) => [
      r.key,
      r.digest,
    ]),
  );
  const current = new Map<string, Record<string, Json>>();
  for (let i = 0; i < members.length; i += READ_CONCURRENCY) {
    await Promise.all(
      members.slice(i, i + READ_CONCURRENCY).map(async ({ key }) => {
        const read = await profileStub(env, sync.projectId, parseProfileKey(key)).read(true);
        if (read !== null) current.set(key, propertyValues(sync.what, { computations: read.segments?.computations ?? {}, scores: read.scores }));
      }),
    );
  }
  const names = propertyNames(sync.what);
  const changes = propertyChanges(current, delivered, names);
  if (changes.length === 0) return { sent: 0, failed: 0, error: null };

  if (destination.type === "r2_export") {
    await env.ARCHIVE.put(
      `${syncExportPrefix(sync.projectId, sync.id)}${new Date(now).toISOString().replace(/[:.]/g, "-")}.${destination.format}`,
      propertyExportFile(changes, names, destination.format),
    );
    await remember(env, sync.id, changes, now);
    return { sent: changes.length, failed: 0, error: null };
  }
  let sent = 0;
  for (const { message, changes: part } of propertyMessages(sync.id, sync.what.cohort_id, changes, sync.batchSize, now)) {
    for (const request of propertyRequests(destination, message)) {
      const error = await send(request);
      if (error !== null) return { sent, failed: part.length, error };
    }
    await remember(env, sync.id, part, now);
    sent += part.length;
  }
  return { sent, failed: 0, error: null };
}

/** Records what the destination now holds: new digests, and former members forgotten. */
async function remember(env: Pick<Env, "DB">, syncId: string, changes: readonly PropertyChange[], now: number): Promise<void> {
  const db = drizzle(env.DB);
  const held = changes.filter((c) => c.digest !== null);
  const gone = changes.filter((c) => c.digest === null).map((c) => c.profileKey);
  const statements = [];
  for (let i = 0; i < held.length; i += D1_ROWS) {
    const rows = held.slice(i, i + D1_ROWS).map((c) => ({ syncId, profileKey: c.profileKey, digest: c.digest!, updatedAt: now }));
    statements.push(
      db
        .insert(syncValues)
        .values(rows)
        .onConflictDoUpdate({ target: [syncValues.syncId, syncValues.profileKey], set: { digest: sql`excluded.digest`, updatedAt: now } }),
    );
  }
  for (let i = 0; i < gone.length; i += D1_ROWS) {
    statements.push(db.delete(syncValues).where(and(eq(syncValues.syncId, syncId), inArray(syncValues.profileKey, gone.slice(i, i + D1_ROWS)))));
  }
  if (statements.length > 0) await db.batch(statements as [(typeof statements)[number], ...(typeof statements)[number][]]);
}
