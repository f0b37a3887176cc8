import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { projects } from "./projects";

/**
 * Every kind of definition a marketer edits has the same envelope: a JSON body validated
 * by its schema in src/core, and a version that bumps on each edit so edge isolates and
 * Durable Objects can cache compiled forms by (id, version).
 */
function definitionTable<const N extends string>(name: N) {
  return sqliteTable(
    name,
    {
      id: text("id").primaryKey(),
      projectId: text("project_id")
        .notNull()
        .references(() => projects.id, { onDelete: "cascade" }),
      name: text("name").notNull(),
      description: text("description").notNull().default(""),
      definition: text("definition", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
      version: integer("version").notNull().default(1),
      status: text("status", { enum: ["active", "inactive", "archived"] })
        .notNull()
        .default("active"),
      createdAt: integer("created_at").notNull(),
      updatedAt: integer("updated_at").notNull(),
    },
    (t) => [index(`${name}_project`).on(t.projectId), uniqueIndex(`${name}_project_name`).on(t.projectId, t.name)],
  );
}

export const cohorts = definitionTable("cohorts");
export const computations = definitionTable("computations");
export const predictions = definitionTable("predictions");
export const recommendations = definitionTable("recommendations");
export const destinations = definitionTable("destinations");
export const syncs = definitionTable("syncs");

/** A trained model version (prediction or recommendation), its bytes and metrics live in R2. */
export const models = sqliteTable(
  "models",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    /** The prediction or recommendation this model serves. */
    ownerKind: text("owner_kind", { enum: ["prediction", "recommendation"] }).notNull(),
    ownerId: text("owner_id").notNull(),
    version: integer("version").notNull(),
    r2Key: text("r2_key").notNull(),
    metrics: text("metrics", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    /** What serving needs without reading R2: the feature spec and score quantiles. */
    serving: text("serving", { mode: "json" }).$type<Record<string, unknown>>().notNull().default(sql`'{}'`),
    active: integer("active", { mode: "boolean" }).notNull().default(false),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [uniqueIndex("models_owner_version").on(t.ownerKind, t.ownerId, t.version)],
);
