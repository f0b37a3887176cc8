import { and, eq, sql } from "drizzle-orm";
import { z } from "zod";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { predictionServingSchema } from "../core/model-contract";
import { predictionSchema } from "../core/predictions";
import { recommendationSchema } from "../core/recommendations/schema";
import type { DefinitionSet, SkippedDefinition } from "../core/segments/compile";
import { cohortDefinitionSchema, computationSchema } from "../core/segments/schema";
import type * as schema from "./schema";
import { cohorts, computations, models, predictions, projects, recommendations } from "./schema";

type Db = DrizzleD1Database<typeof schema>;

export async function definitionsVersion(db: Db, projectId: string): Promise<number | null> {
  const row = await db.select({ v: projects.definitionsVersion }).from(projects).where(eq(projects.id, projectId)).get();
  return row?.v ?? null;
}

/**
 * Parses one stored row; a row this code can no longer read (written by another version,
 * or edited by hand) is left out and named in `skipped` instead of failing the project.
 */
function lenient<T>(skipped: SkippedDefinition[], id: string, parse: () => T): T[] {
  try {
    return [parse()];
  } catch (err) {
    skipped.push({ id, reason: err instanceof z.ZodError ? z.prettifyError(err) : String(err) });
    return [];
  }
}

/** The project's active definitions, parsed (stored definitions were validated on write; rows that no longer parse are skipped). */
export async function loadDefinitionSet(db: Db, projectId: string): Promise<DefinitionSet> {
  const [version, comps, cohs] = await db.batch([
    db.select({ v: projects.definitionsVersion }).from(projects).where(eq(projects.id, projectId)),
    db
      .select({ id: computations.id, definition: computations.definition })
      .from(computations)
      .where(and(eq(computations.projectId, projectId), eq(computations.status, "active")))
      .orderBy(computations.createdAt, computations.id),
    db
      .select({ id: cohorts.id, definition: cohorts.definition })
      .from(cohorts)
      .where(and(eq(cohorts.projectId, projectId), eq(cohorts.status, "active")))
      .orderBy(cohorts.createdAt, cohorts.id),
  ]);
  // Predictions with their active model (if any), as plain SQL: a left join's JSON columns.
  const preds = await db.all<{ id: string; definition: string; modelId: string | null; r2Key: string | null; serving: string | null }>(
    sql`SELECT p.id, p.definition, m.id AS modelId, m.r2_key AS r2Key, m.serving AS serving
        FROM ${predictions} p LEFT JOIN ${models} m ON m.owner_id = p.id AND m.active = 1
        WHERE p.project_id = ${projectId} AND p.status = 'active' ORDER BY p.created_at, p.id`,
  );
  const recs = await db.all<{ id: string; definition: string; modelId: string | null; r2Key: string | null }>(
    sql`SELECT r.id, r.definition, m.id AS modelId, m.r2_key AS r2Key
        FROM ${recommendations} r LEFT JOIN ${models} m ON m.owner_id = r.id AND m.active = 1
        WHERE r.project_id = ${projectId} AND r.status = 'active' ORDER BY r.created_at, r.id`,
  );
  const skipped: SkippedDefinition[] = [];
  return {
    version: String(version[0]?.v ?? 0),
    computations: comps.flatMap((c) => lenient(skipped, c.id, () => ({ id: c.id, definition: computationSchema.parse(c.definition) }))),
    cohorts: cohs.flatMap((c) => lenient(skipped, c.id, () => ({ id: c.id, definition: cohortDefinitionSchema.parse(c.definition) }))),
    predictions: preds.flatMap((p) =>
      lenient(skipped, p.id, () => {
        // The active model's spec, checked against what this Worker serves (model-contract.ts):
        // a model it cannot serve is left out (named in skipped), the prediction stays, unscored.
        const serving = p.modelId === null || p.r2Key === null || p.serving === null ? null : predictionServingSchema.safeParse(JSON.parse(p.serving));
        if (serving?.success === false) skipped.push({ id: p.modelId!, reason: `model of ${p.id}: ${z.prettifyError(serving.error)}` });
        const model = serving?.success ? { id: p.modelId!, r2Key: p.r2Key!, spec: serving.data.feature_spec, quantiles: serving.data.quantiles } : null;
        return { id: p.id, definition: predictionSchema.parse(JSON.parse(p.definition)), model };
      }),
    ),
    recommendations: recs.flatMap((r) =>
      lenient(skipped, r.id, () => ({
        id: r.id,
        definition: recommendationSchema.parse(JSON.parse(r.definition)),
        model: r.modelId !== null && r.r2Key !== null ? { id: r.modelId, r2Key: r.r2Key } : null,
      })),
    ),
    skipped,
  };
}

/** The statement that bumps the project's definitions version (batched with each write). */
export function bumpDefinitionsVersion(db: Db, projectId: string) {
  return db
    .update(projects)
    .set({ definitionsVersion: sql`${projects.definitionsVersion} + 1` })
    .where(eq(projects.id, projectId));
}
