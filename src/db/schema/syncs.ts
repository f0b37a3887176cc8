import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** How far each sync has delivered the membership change log. */
export const syncCursors = sqliteTable(
  "sync_cursors",
  {
    syncId: text("sync_id").notNull(),
    /** Which stream the cursor is over (e.g. a cohort id). */
    stream: text("stream").notNull(),
    lastSeq: integer("last_seq").notNull().default(0),
    /** A window being delivered: (last_seq, pending_end] — fixed until it is done, so retries resend the same messages. */
    pendingEnd: integer("pending_end"),
    /** How many of the pending window's messages were delivered. */
    delivered: integer("delivered").notNull().default(0),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.syncId, t.stream] })],
);

/** One row per sync run: what it sent and how it ended. */
export const syncRuns = sqliteTable(
  "sync_runs",
  {
    id: text("id").primaryKey(),
    syncId: text("sync_id").notNull(),
    startedAt: integer("started_at").notNull(),
    finishedAt: integer("finished_at"),
    status: text("status", { enum: ["running", "succeeded", "failed"] }).notNull(),
    sent: integer("sent").notNull().default(0),
    failed: integer("failed").notNull().default(0),
    /** Users the destination could not be sent (it has no id for them). */
    skipped: integer("skipped").notNull().default(0),
    lastError: text("last_error"),
  },
  (t) => [index("sync_runs_sync").on(t.syncId, t.startedAt)],
);

/**
 * What each property sync last delivered to each profile (a digest of the values): the
 * sync's cursor. A run sends members whose values differ from it, and former members.
 */
export const syncValues = sqliteTable(
  "sync_values",
  {
    syncId: text("sync_id").notNull(),
    profileKey: text("profile_key").notNull(),
    digest: text("digest").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.syncId, t.profileKey] })],
);

/**
 * How a list destination (HubSpot, Klaviyo, Facebook) named a member who has since been
 * erased: its id there (a record id, or the hashed email), taken from the profile just
 * before the erasure. The exit the deletion logs can then still reach that destination;
 * the row goes once the sync has delivered it.
 */
export const departedIds = sqliteTable(
  "departed_ids",
  {
    syncId: text("sync_id").notNull(),
    profileKey: text("profile_key").notNull(),
    destinationUserId: text("destination_user_id").notNull(),
    erasedAt: integer("erased_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.syncId, t.profileKey] })],
);
