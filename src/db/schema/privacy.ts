import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { projects } from "./projects";

/** What one requested id resolved to, and how far its erasure got. */
export interface DeletionTarget {
  /** The profile erased: `u:<user_id>` or `d:<device_id>` (a linked device resolves to its user). */
  key: string;
  /** The ids as requested that resolved to this profile. */
  requested: string[];
  /** Set once the profile's Durable Object (and its devices') are erased. */
  erasedAt?: number;
  /** Device ids linked to the user: their anonymous archive lines go too. */
  devices?: string[];
  /** Event-time range of the profile's history (null: unknown, scan the whole archive). */
  firstSeen?: number | null;
  lastSeen?: number | null;
}

/**
 * A privacy deletion (Amplitude's User Privacy API): `staging` until its job starts,
 * `submitted` while profiles are erased and the archive rewritten, then `done`. The
 * job is resumable: `phase` and `cursor` (the last archive key rewritten) say where
 * it stands after a restart, and every step is idempotent.
 */
export const deletionJobs = sqliteTable(
  "deletion_jobs",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    status: text("status", { enum: ["staging", "submitted", "done"] }).notNull(),
    phase: text("phase", { enum: ["profiles", "archive", "done"] })
      .notNull()
      .default("profiles"),
    requester: text("requester"),
    targets: text("targets", { mode: "json" }).$type<DeletionTarget[]>().notNull(),
    /** Ids that matched no profile (accepted with ignore_invalid_ids). */
    skipped: text("skipped", { mode: "json" }).$type<string[]>().notNull(),
    cursor: text("cursor").notNull().default(""),
    objectsScanned: integer("objects_scanned").notNull().default(0),
    objectsRewritten: integer("objects_rewritten").notNull().default(0),
    linesRemoved: integer("lines_removed").notNull().default(0),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    finishedAt: integer("finished_at"),
  },
  (t) => [index("deletion_jobs_project").on(t.projectId, t.createdAt)],
);
