import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { ACTIVE_STATUSES, TRAINING_KINDS, TRAINING_STATUSES } from "../../core/training-jobs";
import { projects } from "./projects";

/**
 * A request to train a prediction or recommendation. The Worker cannot run the Node
 * trainer, so the admin API queues the job here and a trainer (`npm run train -- --watch`,
 * which `npm start` runs) claims it, heartbeats while it works and finishes it with the
 * published model version or the error. A running job whose heartbeat went stale is
 * claimed again by the next trainer that asks.
 */
export const trainingJobs = sqliteTable(
  "training_jobs",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    kind: text("kind", { enum: TRAINING_KINDS }).notNull(),
    /** The prediction or recommendation to train. */
    ownerId: text("owner_id").notNull(),
    status: text("status", { enum: TRAINING_STATUSES }).notNull(),
    requestedAt: integer("requested_at").notNull(),
    startedAt: integer("started_at"),
    finishedAt: integer("finished_at"),
    /** The trainer holding the job (its own id, given when it claimed). */
    claimedBy: text("claimed_by"),
    heartbeatAt: integer("heartbeat_at"),
    /** Claims so far (more than one: a trainer went away and another took over). */
    attempts: integer("attempts").notNull().default(0),
    /** The trainer's latest progress line. */
    message: text("message"),
    error: text("error"),
    modelId: text("model_id"),
    modelVersion: integer("model_version"),
  },
  (t) => [
    index("training_jobs_project").on(t.projectId, t.requestedAt),
    index("training_jobs_claimable").on(t.status, t.requestedAt),
    // At most one queued or running job per definition: a second request finds the first.
    uniqueIndex("training_jobs_one_active")
      .on(t.projectId, t.ownerId)
      .where(sql.raw(`status IN (${ACTIVE_STATUSES.map((s) => `'${s}'`).join(", ")})`)),
  ],
);
