import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { projects } from "./projects";

/**
 * A backfill: after a definition change, every registered profile of the project
 * recomputes from its stored events. Resumable from `cursor` (the last profile key done).
 */
export const backfillJobs = sqliteTable(
  "backfill_jobs",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    definitionsVersion: integer("definitions_version").notNull(),
    /** `partial`: the walk ended and its retries did not recover every profile (`failed_keys`); resumable. */
    status: text("status", { enum: ["running", "succeeded", "partial", "failed", "superseded"] }).notNull(),
    cursor: text("cursor").notNull().default(""),
    processed: integer("processed").notNull().default(0),
    total: integer("total").notNull(),
    /** Profiles that failed and are not (yet) recovered; `failed_keys` holds the first of them. */
    failures: integer("failures").notNull().default(0),
    failedKeys: text("failed_keys", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    /** Retry rounds over `failed_keys` done since the walk ended (or the job was resumed). */
    retryRound: integer("retry_round").notNull().default(0),
    lastError: text("last_error"),
    startedAt: integer("started_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    finishedAt: integer("finished_at"),
  },
  (t) => [index("backfill_jobs_project").on(t.projectId, t.startedAt)],
);

/** An async cohort download (Amplitude's request → status → file), written to R2 when done. */
export const cohortExports = sqliteTable(
  "cohort_exports",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    cohortId: text("cohort_id").notNull(),
    withProps: integer("with_props", { mode: "boolean" }).notNull(),
    /** Requested user property keys (JSON array); empty = all of them. */
    propKeys: text("prop_keys", { mode: "json" }).$type<string[]>().notNull(),
    status: text("status", { enum: ["running", "completed", "failed"] }).notNull(),
    rows: integer("rows"),
    error: text("error"),
    /** Attempts that failed so far (each re-reads every member); after the last one the export is `failed`. */
    attempts: integer("attempts").notNull().default(0),
    /** Members the last failed attempt could not read, and the first of their keys. */
    failures: integer("failures").notNull().default(0),
    failedKeys: text("failed_keys", { mode: "json" }).$type<string[]>().notNull().default([]),
    createdAt: integer("created_at").notNull(),
    finishedAt: integer("finished_at"),
  },
  (t) => [index("cohort_exports_project").on(t.projectId, t.createdAt)],
);

/**
 * A reconciliation: every registered profile's cohort flags compared with the D1
 * membership index, differences repaired (and logged as changes, so syncs send them).
 */
export const reconcileRuns = sqliteTable(
  "reconcile_runs",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    status: text("status", { enum: ["running", "succeeded", "partial"] }).notNull(),
    cursor: text("cursor").notNull().default(""),
    checked: integer("checked").notNull().default(0),
    /** Index rows added (a member the index missed) and removed (one it kept wrongly). */
    added: integer("added").notNull().default(0),
    removed: integer("removed").notNull().default(0),
    /** Profiles not compared: changes still on their way, or their read failed. */
    skipped: integer("skipped").notNull().default(0),
    failures: integer("failures").notNull().default(0),
    lastError: text("last_error"),
    startedAt: integer("started_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    finishedAt: integer("finished_at"),
  },
  (t) => [index("reconcile_runs_project").on(t.projectId, t.startedAt)],
);
