import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** A tenant. Every event, user and definition belongs to exactly one project. */
export const projects = sqliteTable("projects", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  /** Per-project overrides of the Worker's defaults (retention, throttling, ...), JSON. */
  settings: text("settings", { mode: "json" }).$type<Record<string, unknown>>().notNull().default(sql`'{}'`),
  /** Bumped on every definition write; profiles reload definitions when it moves. */
  definitionsVersion: integer("definitions_version").notNull().default(0),
  createdAt: integer("created_at").notNull(),
});

/**
 * Keys: `ingest` keys are public (browser SDKs send them) and are stored as given;
 * `secret` keys read data, so only their SHA-256 is stored and `prefix` identifies them.
 */
export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    kind: text("kind", { enum: ["ingest", "secret"] }).notNull(),
    /** The whole key for ingest keys; null for secret keys. */
    publicKey: text("public_key").unique(),
    /** Hex SHA-256 of a secret key; null for ingest keys. */
    secretHash: text("secret_hash").unique(),
    /** First characters of the key, safe to show in the UI. */
    prefix: text("prefix").notNull(),
    createdAt: integer("created_at").notNull(),
    revokedAt: integer("revoked_at"),
  },
  (t) => [index("api_keys_project").on(t.projectId)],
);
