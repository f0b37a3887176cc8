import { sql as dsql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { archiveKey, hourOf, toNdjson } from "../core/archive";
import { profileKey, profileObjectName, type TailorEvent } from "../core/event";
import { sha256Hex } from "../core/hash";
import { cohortMembers, membershipChanges, recExposures, servedOutcomes, users } from "../db/schema";
import type { ProfileState } from "./profile-state";
import type { PendingWindow } from "./served-windows";

/**
 * What a profile writes outside itself, each idempotent so the alarm can retry it:
 * archive objects (deterministic keys), the registry row (upsert), membership
 * changes (upsert/delete plus a log insert that ignores repeats) and served windows
 * (an upsert that never reopens a resolved row).
 */

/** Writes events to R2, one object per UTC hour of event time; answers the objects' keys. */
export async function writeArchive(env: Pick<Env, "ARCHIVE">, state: ProfileState, batch: { seq: number; event: TailorEvent }[]): Promise<string[]> {
  const byHour = new Map<string, { firstSeq: number; events: TailorEvent[] }>();
  for (const { seq, event } of batch) {
    const hour = hourOf(event.time);
    const group = byHour.get(hour) ?? { firstSeq: seq, events: [] };
    group.events.push(event);
    byHour.set(hour, group);
  }
  const owner = (await sha256Hex(profileObjectName(state.projectId, state.profile))).slice(0, 16);
  const keys = [...byHour].map(([hour, g]) => archiveKey(state.projectId, hour, owner, g.firstSeq));
  await Promise.all(
    [...byHour.values()].map((g, i) => env.ARCHIVE.put(keys[i]!, toNdjson(g.events), { httpMetadata: { contentType: "application/x-ndjson" } })),
  );
  return keys;
}

export async function writeRegistry(env: Pick<Env, "DB">, state: ProfileState, now: number): Promise<void> {
  const isUser = state.profile.kind === "user";
  const row = {
    projectId: state.projectId,
    profileKey: profileKey(state.profile),
    userId: isUser ? state.profile.id : null,
    deviceId: isUser ? (state.lastDeviceId ?? null) : state.profile.id,
    mergedInto: state.linkedUser ?? null,
    eventCount: state.eventCount,
    firstSeen: state.firstSeen ?? now,
    lastSeen: state.lastSeen ?? now,
  };
  await drizzle(env.DB)
    .insert(users)
    .values(row)
    .onConflictDoUpdate({
      target: [users.projectId, users.profileKey],
      set: {
        userId: row.userId,
        deviceId: row.deviceId,
        mergedInto: row.mergedInto,
        eventCount: row.eventCount,
        firstSeen: dsql`min(${users.firstSeen}, ${row.firstSeen})`,
        lastSeen: dsql`max(${users.lastSeen}, ${row.lastSeen})`,
      },
    });
}

/** Applies membership changes in order to the D1 index and appends them to the change log. */
export async function writeMemberships(env: Pick<Env, "DB">, state: ProfileState, changes: { cohortId: string; member: boolean; at: number }[]): Promise<void> {
  if (changes.length === 0) return;
  const db = drizzle(env.DB);
  const key = profileKey(state.profile);
  const statements = changes.flatMap((c) => [
    c.member
      ? db
          .insert(cohortMembers)
          .values({ projectId: state.projectId, cohortId: c.cohortId, profileKey: key, enteredAt: c.at })
          .onConflictDoUpdate({ target: [cohortMembers.cohortId, cohortMembers.profileKey], set: { enteredAt: c.at } })
      : db.delete(cohortMembers).where(dsql`${cohortMembers.cohortId} = ${c.cohortId} AND ${cohortMembers.profileKey} = ${key}`),
    db
      .insert(membershipChanges)
      .values({ projectId: state.projectId, cohortId: c.cohortId, profileKey: key, inCohort: c.member, changedAt: c.at })
      .onConflictDoNothing(),
  ]);
  await db.batch(statements as [(typeof statements)[number], ...(typeof statements)[number][]]);
}

/**
 * Served windows as opened or resolved (served-outcomes.ts), keyed by owner, profile and
 * opening instant; exposures by recommendation and profile (the first one stays).
 */
export async function writeServedOutcomes(env: Pick<Env, "DB">, state: ProfileState, rows: readonly PendingWindow[], now: number): Promise<void> {
  if (rows.length === 0) return;
  const db = drizzle(env.DB);
  const key = profileKey(state.profile);
  const statements = rows.map(({ window: w, outcome: o }) => {
    if (w.owner_kind === "exposure") {
      const values = {
        projectId: state.projectId,
        recId: w.owner_id,
        profileKey: key,
        variant: w.variant ?? "treatment",
        source: w.source ?? "model",
        modelId: w.model_id,
        exposedAt: w.opened_at,
        closesAt: w.closes_at,
        conversions: w.conversions ?? 0,
        convertedAt: w.converted_at ?? null,
        value: w.value ?? 0,
        final: o !== null,
      };
      return db
        .insert(recExposures)
        .values(values)
        .onConflictDoUpdate({
          target: [recExposures.recId, recExposures.profileKey],
          set: { conversions: values.conversions, convertedAt: values.convertedAt, value: values.value, final: values.final },
          // Only the first exposure counts; a final row never changes again.
          setWhere: dsql`${recExposures.exposedAt} = ${values.exposedAt} AND ${recExposures.final} = 0`,
        });
    }
    const values = {
      projectId: state.projectId,
      ownerKind: w.owner_kind,
      ownerId: w.owner_id,
      modelId: w.model_id,
      profileKey: key,
      openedAt: w.opened_at,
      closesAt: w.closes_at,
      source: w.source ?? null,
      score: w.score ?? null,
      outcome: o?.outcome ?? null,
      loss: o?.loss ?? null,
      relevant: o?.relevant ?? null,
      ndcg: o?.ndcg ?? null,
      resolvedAt: o === null ? null : now,
    };
    const insert = db.insert(servedOutcomes).values(values);
    return o === null
      ? insert.onConflictDoNothing()
      : insert.onConflictDoUpdate({
          target: [servedOutcomes.ownerId, servedOutcomes.profileKey, servedOutcomes.openedAt],
          set: { outcome: values.outcome, loss: values.loss, relevant: values.relevant, ndcg: values.ndcg, resolvedAt: now },
          setWhere: dsql`${servedOutcomes.resolvedAt} IS NULL`,
        });
  });
  await db.batch(statements as unknown as [(typeof statements)[number], ...(typeof statements)[number][]]);
}
