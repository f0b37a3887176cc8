import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { projects } from "./projects";

/**
 * Registry of every profile (one per user Durable Object): what backfills fan out over
 * and what the admin UI lists. Written by the Durable Object from its alarm, so
 * `last_seen` may lag the newest event by up to the registry refresh interval.
 */
export const users = sqliteTable(
  "users",
  {
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    /** `u:<user_id>` or `d:<device_id>` — the Durable Object's routing key within the project. */
    profileKey: text("profile_key").notNull(),
    userId: text("user_id"),
    deviceId: text("device_id"),
    /** For a device profile whose history moved to a user: that user's id. */
    mergedInto: text("merged_into"),
    eventCount: integer("event_count").notNull().default(0),
    firstSeen: integer("first_seen").notNull(),
    lastSeen: integer("last_seen").notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.profileKey] }), index("users_last_seen").on(t.projectId, t.lastSeen)],
);
