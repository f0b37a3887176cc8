import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { projects } from "./projects";

/**
 * The names a project's events have used — event types, each type's property keys, user
 * property keys — and some of their values, for the admin UI's pickers and for warning
 * about a name never seen. Kept as events arrive (edge/catalog-store.ts), never by
 * scanning history. `event_type` is "" for event types and user properties.
 */
export const observedNames = sqliteTable(
  "observed_names",
  {
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    kind: text("kind", { enum: ["event", "event_property", "user_property"] }).notNull(),
    eventType: text("event_type").notNull(),
    name: text("name").notNull(),
    firstSeen: integer("first_seen").notNull(),
    lastSeen: integer("last_seen").notNull(),
    /** Events that carried it, as sampled: each isolate adds a request's count when it writes the name (at most every few minutes). */
    seen: integer("seen").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.kind, t.eventType, t.name] })],
);

/** Values of a property (JSON-encoded scalars), a bounded number per property; `seen` as above. */
export const observedValues = sqliteTable(
  "observed_values",
  {
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    kind: text("kind", { enum: ["event_property", "user_property"] }).notNull(),
    eventType: text("event_type").notNull(),
    name: text("name").notNull(),
    value: text("value").notNull(),
    lastSeen: integer("last_seen").notNull(),
    seen: integer("seen").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.kind, t.eventType, t.name, t.value] })],
);
