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
    status: text("status", { enum: ["running", "succeeded", "failed", "superseded"] }).notNull(),
    cursor: text("cursor").notNull().default(""),
    processed: integer("processed").notNull().default(0),
    total: integer("total").notNull(),
    failures: integer("failures").notNull().default(0),
    lastError: text("last_error"),
    startedAt: integer("started_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    finishedAt: integer("finished_at"),
  },
  (t) => [index("backfill_jobs_project").on(t.projectId, t.startedAt)],
);
