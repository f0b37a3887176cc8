import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { projects } from "./projects";

/** Current members of each cohort; cohort sizes are counts over it. */
export const cohortMembers = sqliteTable(
  "cohort_members",
  {
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    cohortId: text("cohort_id").notNull(),
    profileKey: text("profile_key").notNull(),
    enteredAt: integer("entered_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.cohortId, t.profileKey] }), index("cohort_members_project").on(t.projectId)],
);

/** Append-only log of enter/exit changes; syncs read it from their cursor onwards. */
export const membershipChanges = sqliteTable(
  "membership_changes",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    projectId: text("project_id").notNull(),
    cohortId: text("cohort_id").notNull(),
    profileKey: text("profile_key").notNull(),
    inCohort: integer("in_cohort", { mode: "boolean" }).notNull(),
    changedAt: integer("changed_at").notNull(),
  },
  (t) => [
    index("membership_changes_cohort").on(t.cohortId, t.seq),
    // A profile retrying its delivery of a change must not log it twice.
    uniqueIndex("membership_changes_once").on(t.cohortId, t.profileKey, t.changedAt, t.inCohort),
  ],
);
