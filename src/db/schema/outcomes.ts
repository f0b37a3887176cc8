import { index, integer, primaryKey, real, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { projects } from "./projects";

/**
 * What each profile was served by a model version and what it did next (one row per
 * window, core/served-outcomes.ts): written when the window opens (outcome null) and
 * again when it resolves. The admin API aggregates resolved rows into served quality.
 */
export const servedOutcomes = sqliteTable(
  "served_outcomes",
  {
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    ownerKind: text("owner_kind", { enum: ["prediction", "recommendation"] }).notNull(),
    /** The prediction or recommendation. */
    ownerId: text("owner_id").notNull(),
    modelId: text("model_id").notNull(),
    profileKey: text("profile_key").notNull(),
    openedAt: integer("opened_at").notNull(),
    closesAt: integer("closes_at").notNull(),
    /** Recommendations: model, control, fallback … */
    source: text("source"),
    /** Predictions: the served probability. */
    score: real("score"),
    /** Null while open; then 1 if the goal was reached (a listed item taken), else 0. */
    outcome: integer("outcome"),
    loss: real("loss"),
    relevant: integer("relevant"),
    ndcg: real("ndcg"),
    resolvedAt: integer("resolved_at"),
  },
  (t) => [
    primaryKey({ columns: [t.ownerId, t.profileKey, t.openedAt] }),
    index("served_outcomes_model").on(t.projectId, t.ownerId, t.modelId),
    index("served_outcomes_profile").on(t.projectId, t.profileKey),
  ],
);

/**
 * Each user's first shown answer of a recommendation, in treatment or control, and its
 * conversions inside the attribution window (core/served-outcomes.ts exposures): the
 * lift report (core/lift.ts) aggregates them by arm. Conversions are written as they
 * happen; `final` once the window has ended.
 */
export const recExposures = sqliteTable(
  "rec_exposures",
  {
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    recId: text("rec_id").notNull(),
    profileKey: text("profile_key").notNull(),
    variant: text("variant", { enum: ["treatment", "control"] }).notNull(),
    /** How the list was chosen: model, popular, random … */
    source: text("source").notNull(),
    modelId: text("model_id").notNull(),
    exposedAt: integer("exposed_at").notNull(),
    closesAt: integer("closes_at").notNull(),
    conversions: integer("conversions").notNull().default(0),
    convertedAt: integer("converted_at"),
    value: real("value").notNull().default(0),
    final: integer("final", { mode: "boolean" }).notNull().default(false),
  },
  (t) => [
    primaryKey({ columns: [t.recId, t.profileKey] }),
    index("rec_exposures_report").on(t.projectId, t.recId, t.variant),
    index("rec_exposures_profile").on(t.projectId, t.profileKey),
  ],
);
