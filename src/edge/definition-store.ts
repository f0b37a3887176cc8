import { and, desc, eq } from "drizzle-orm";
import type { z } from "zod";
import { compileLeniently } from "../core/segments/compile";
import { randomKey } from "../core/hash";
import { predictionSchema, type Prediction } from "../core/predictions";
import { recommendationSchema } from "../core/recommendations/schema";
import { cohortDefinitionSchema, computationSchema } from "../core/segments/schema";
import { CredentialsKeyError, keepStoredCredentials, redact, sealCredentials } from "../core/syncs/credentials";
import { destinationSchema, syncSchema, type Sync } from "../core/syncs/schema";
import { bumpDefinitionsVersion, loadDefinitionSet } from "../db/definitions";
import {
  cohortMembers,
  cohorts,
  departedIds,
  computations,
  destinations,
  predictions,
  recommendations,
  syncCursors,
  syncRuns,
  syncs,
  syncValues,
} from "../db/schema";
import type { Db } from "./db";
import { forgetProjectDefinitions } from "./definitions-version";
import { cohortSizes, cohortTrends } from "./cohort-index-store";
import { checkCompiles, checkNotUsedBySyncs, checkPredictionReferences, checkSyncReferences } from "./definition-checks";
import { AppError } from "./errors";

export type DefinitionKind = "cohorts" | "computations" | "predictions" | "recommendations" | "destinations" | "syncs";
type Row = typeof cohorts.$inferSelect;
type Statement = Parameters<Db["batch"]>[0][number];

/** What differs between kinds of definition, in one place; the store's functions below are the same for all. */
const TABLES = { cohorts, computations, predictions, recommendations, destinations, syncs } as const;

interface KindBehaviour {
  table: (typeof TABLES)[DefinitionKind];
  /** Ids are `<prefix>_…`. */
  prefix: string;
  schema: z.ZodType;
  /** Segmentation compiles it: a write bumps the definitions version profiles watch. */
  segments: boolean;
  /** Checks a write (`definition` null: a removal) against the rest of the project, so stored definitions always compile and references resolve. */
  check: (db: Db, projectId: string, id: string, definition: unknown) => Promise<void>;
  /** The definition as stored (a destination's credentials sealed). */
  store?: (definition: Record<string, unknown>, credentialsKey: string | undefined, id: string) => Promise<Record<string, unknown>>;
  /** An edit's definition from the stored one (a destination keeps credentials the edit left out). */
  merge?: (edit: Record<string, unknown>, stored: Record<string, unknown>) => Record<string, unknown>;
  /** Rows that go with a deleted definition (besides cohort members). */
  alsoDeleted?: (db: Db, id: string) => Statement[];
}

/** The compile check of a segmentation kind: the project's definitions as they would be after the write. */
const compiles = (kind: DefinitionKind) => async (db: Db, projectId: string, id: string, definition: unknown) =>
  checkCompiles(compileLeniently(await loadDefinitionSet(db, projectId)).usable, kind, id, definition);

export const KINDS: Record<DefinitionKind, KindBehaviour> = {
  cohorts: {
    table: cohorts,
    prefix: "coh",
    schema: cohortDefinitionSchema,
    segments: true,
    check: async (db, projectId, id, definition) => {
      if (definition === null) await checkNotUsedBySyncs(db, projectId, id);
      await compiles("cohorts")(db, projectId, id, definition);
    },
  },
  computations: { table: computations, prefix: "cmp", schema: computationSchema, segments: true, check: compiles("computations") },
  predictions: {
    table: predictions,
    prefix: "prd",
    schema: predictionSchema,
    segments: true,
    check: async (db, projectId, id, definition) => {
      // A prediction refers to cohorts and computations; removing one must not leave a predictive cohort pointing at it.
      if (definition === null) return compiles("predictions")(db, projectId, id, null);
      checkPredictionReferences(compileLeniently(await loadDefinitionSet(db, projectId)).usable, id, definition as Prediction);
    },
  },
  recommendations: { table: recommendations, prefix: "rec", schema: recommendationSchema, segments: true, check: async () => {} },
  destinations: {
    table: destinations,
    prefix: "dst",
    schema: destinationSchema,
    segments: false,
    check: async (db, projectId, id, definition) => {
      if (definition === null) await checkNotUsedBySyncs(db, projectId, id);
    },
    store: async (definition, credentialsKey, id) => {
      try {
        return await sealCredentials(definition, credentialsKey, id);
      } catch (err) {
        if (err instanceof CredentialsKeyError) throw new AppError(500, "internal", `Destination credentials cannot be stored: ${err.message}`);
        throw err;
      }
    },
    // Credentials are never shown, so an edit that leaves them out (or sends the marker) keeps them.
    merge: keepStoredCredentials,
  },
  syncs: {
    table: syncs,
    prefix: "syn",
    schema: syncSchema,
    segments: false,
    check: async (db, projectId, _id, definition) => (definition === null ? undefined : checkSyncReferences(db, projectId, definition as Sync)),
    // Its cursors and what it kept per user (values, ids of erased members).
    alsoDeleted: (db, id) => [
      db.delete(syncCursors).where(eq(syncCursors.syncId, id)),
      db.delete(syncValues).where(eq(syncValues.syncId, id)),
      db.delete(departedIds).where(eq(departedIds.syncId, id)),
    ],
  },
};
const versionBump = (db: Db, kind: DefinitionKind, projectId: string) => (KINDS[kind].segments ? [bumpDefinitionsVersion(db, projectId)] : []);

export interface DefinitionInput {
  name: string;
  description?: string | undefined;
  /** As the client sent it (stored, and re-parsed on load) ... */
  definition: Record<string, unknown>;
  /** ... and as its schema normalised it (for the compile check). */
  parsed: unknown;
  status?: "active" | "inactive" | undefined;
  /** The Worker secret destination credentials are sealed under (`CREDENTIALS_KEY`). */
  credentialsKey?: string | undefined;
}

export function present(row: Row, size?: number) {
  return {
    id: row.id,
    project: row.projectId,
    name: row.name,
    description: row.description,
    // Destination credentials are write-only.
    definition: redact(row.definition),
    version: row.version,
    status: row.status,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
    ...(size === undefined ? {} : { size }),
  };
}

/** A kind's definitions; cohorts with their sizes, and (when asked) their last 7 days of entries and exits. */
export async function listDefinitions(db: Db, kind: DefinitionKind, projectId: string, { trends = false } = {}) {
  const { table } = KINDS[kind];
  const rows = await db.select().from(table).where(eq(table.projectId, projectId)).orderBy(table.createdAt, table.id);
  if (kind !== "cohorts") return rows.map((r) => present(r));
  const [sizes, moves] = await Promise.all([
    cohortSizes(db, projectId),
    trends
      ? cohortTrends(
          db,
          rows.map((r) => r.id),
          Date.now() - 7 * 86_400_000,
        )
      : null,
  ]);
  return rows.map((r) => ({ ...present(r, sizes.get(r.id) ?? 0), ...(moves === null ? {} : { trend_7d: moves.get(r.id) ?? { entered: 0, exited: 0 } }) }));
}

export async function getDefinition(db: Db, kind: DefinitionKind, projectId: string, id: string): Promise<Row> {
  const { table } = KINDS[kind];
  const row = await db
    .select()
    .from(table)
    .where(and(eq(table.id, id), eq(table.projectId, projectId)))
    .get();
  if (row === undefined) throw new AppError(404, "not_found", `No ${kind.slice(0, -1)} ${id} in project ${projectId}`);
  return row;
}

/** The definition as its kind stores it. */
function stored(kind: DefinitionKind, definition: Record<string, unknown>, credentialsKey: string | undefined, id: string): Promise<Record<string, unknown>> {
  return KINDS[kind].store?.(definition, credentialsKey, id) ?? Promise.resolve(definition);
}

export async function createDefinition(db: Db, kind: DefinitionKind, projectId: string, input: DefinitionInput): Promise<Row> {
  const { table } = KINDS[kind];
  const id = `${KINDS[kind].prefix}_${randomKey(5)}`;
  await KINDS[kind].check(db, projectId, id, input.parsed);
  const now = Date.now();
  const taken = await db
    .select({ id: table.id })
    .from(table)
    .where(and(eq(table.projectId, projectId), eq(table.name, input.name)))
    .get();
  if (taken)
    throw new AppError(409, "conflict", `A ${kind.slice(0, -1)} named ${JSON.stringify(input.name)} already exists`, [
      { field: "name", message: "already in use" },
    ]);
  const definition = await stored(kind, input.definition, input.credentialsKey, id);
  await db.batch([
    db.insert(table).values({
      id,
      projectId,
      name: input.name,
      description: input.description ?? "",
      definition,
      status: input.status ?? "active",
      createdAt: now,
      updatedAt: now,
    }),
    ...versionBump(db, kind, projectId),
  ]);
  forgetProjectDefinitions(projectId); // this isolate sees the change at once
  return getDefinition(db, kind, projectId, id);
}

export async function updateDefinition(db: Db, kind: DefinitionKind, projectId: string, id: string, patch: Partial<DefinitionInput>): Promise<Row> {
  const { table } = KINDS[kind];
  const row = await getDefinition(db, kind, projectId, id);
  const status = patch.status ?? row.status;
  const { merge, schema, check } = KINDS[kind];
  const edited = patch.definition === undefined ? row.definition : (merge?.(patch.definition, row.definition) ?? patch.definition);
  const parsed = patch.parsed ?? schema.parse(row.definition);
  await check(db, projectId, id, status === "active" ? parsed : null);
  // Credentials kept from before encryption are sealed now too.
  const definition = await stored(kind, edited, patch.credentialsKey, id);
  await db.batch([
    db
      .update(table)
      .set({
        name: patch.name ?? row.name,
        description: patch.description ?? row.description,
        definition,
        status,
        version: row.version + 1,
        updatedAt: Date.now(),
      })
      .where(eq(table.id, id)),
    ...versionBump(db, kind, projectId),
  ]);
  forgetProjectDefinitions(projectId); // this isolate sees the change at once
  return getDefinition(db, kind, projectId, id);
}

export async function deleteDefinition(db: Db, kind: DefinitionKind, projectId: string, id: string): Promise<void> {
  const { table } = KINDS[kind];
  await getDefinition(db, kind, projectId, id);
  await KINDS[kind].check(db, projectId, id, null);
  // A deleted cohort's members go with it (its change log stays for syncs to read).
  await db.batch([
    db.delete(table).where(eq(table.id, id)),
    ...versionBump(db, kind, projectId),
    db.delete(cohortMembers).where(eq(cohortMembers.cohortId, id)),
    ...(KINDS[kind].alsoDeleted?.(db, id) ?? []),
  ]);
  forgetProjectDefinitions(projectId); // this isolate sees the change at once
}

export async function listRuns(db: Db, syncId: string) {
  const rows = await db.select().from(syncRuns).where(eq(syncRuns.syncId, syncId)).orderBy(desc(syncRuns.startedAt)).limit(50);
  return rows.map((r) => ({
    id: r.id,
    status: r.status,
    sent: r.sent,
    failed: r.failed,
    skipped: r.skipped,
    last_error: r.lastError,
    started_at: r.startedAt,
    finished_at: r.finishedAt,
  }));
}
