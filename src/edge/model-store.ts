import { and, desc, eq, max } from "drizzle-orm";
import { randomKey } from "../core/hash";
import type { PredictionMetadata, RecommendationMetadata } from "../core/model-contract";
import type { TrainingKind } from "../core/training-jobs";
import { bumpDefinitionsVersion } from "../db/definitions";
import { models } from "../db/schema";
import type { Db } from "./db";
import { getDefinition } from "./definition-store";
import { definitionsChanged } from "./definitions-version";
import { AppError } from "./errors";
import { servedQualityByModel, type ServedView } from "./served-quality-store";

/**
 * Trained model versions of a project's predictions and recommendations: bytes and
 * metadata in R2, a version row in D1, one version per definition active.
 */
type Row = typeof models.$inferSelect;

export function modelKey(projectId: string, ownerId: string, version: number): string {
  return `models/${projectId}/${ownerId}/v${version}`;
}

export const presentModel = (m: Row, served?: ServedView) => ({
  id: m.id,
  owner_kind: m.ownerKind,
  owner_id: m.ownerId,
  version: m.version,
  active: m.active,
  r2_key: m.r2Key,
  metrics: m.metrics,
  /** Quality on what users were served by this version and did next (the trainer's holdout is in `metrics`). */
  served: served ?? null,
  created_at: m.createdAt,
});

/** Newest first, each with its served quality; one definition's when `ownerId` is given. */
export async function listModels(d: Db, projectId: string, ownerId?: string) {
  const [rows, served] = await Promise.all([
    d
      .select()
      .from(models)
      .where(and(eq(models.projectId, projectId), ownerId === undefined ? undefined : eq(models.ownerId, ownerId)))
      .orderBy(desc(models.createdAt)),
    servedQualityByModel(d, projectId, ownerId),
  ]);
  return rows.map((m) => presentModel(m, served.get(m.id)));
}

export interface Publication {
  ownerKind: TrainingKind;
  ownerId: string;
  bytes: Uint8Array;
  /** As the trainer sent it (stored) and as the contract parsed it. */
  rawMetadata: Record<string, unknown>;
  metadata: (PredictionMetadata & { kind: "prediction" }) | (RecommendationMetadata & { kind: "recommendation" });
  activate: boolean;
}

/** A new version of one of this project's predictions or recommendations (404 for another's). */
export async function publishModel(env: Env, d: Db, projectId: string, p: Publication) {
  await getDefinition(d, p.ownerKind === "prediction" ? "predictions" : "recommendations", projectId, p.ownerId);
  const [{ v }] = (await d
    .select({ v: max(models.version) })
    .from(models)
    .where(and(eq(models.projectId, projectId), eq(models.ownerId, p.ownerId)))) as [{ v: number | null }];
  const version = (v ?? 0) + 1;
  const key = modelKey(projectId, p.ownerId, version);
  await Promise.all([
    env.ARCHIVE.put(`${key}.onnx`, p.bytes, { httpMetadata: { contentType: "application/octet-stream" } }),
    env.ARCHIVE.put(`${key}.json`, JSON.stringify(p.rawMetadata), { httpMetadata: { contentType: "application/json" } }),
  ]);
  const id = `mdl_${randomKey(5)}`;
  const serving = p.metadata.kind === "prediction" ? { feature_spec: p.metadata.feature_spec, quantiles: p.metadata.quantiles } : {};
  const statements = [
    ...(p.activate
      ? [
          d
            .update(models)
            .set({ active: false })
            .where(and(eq(models.projectId, projectId), eq(models.ownerId, p.ownerId))),
        ]
      : []),
    d.insert(models).values({
      id,
      projectId,
      ownerKind: p.ownerKind,
      ownerId: p.ownerId,
      version,
      r2Key: key,
      metrics: p.metadata.metrics,
      serving,
      active: p.activate,
      createdAt: Date.now(),
    }),
    // Profiles reload their definitions (and so the active models) when the version moves.
    bumpDefinitionsVersion(d, projectId),
  ];
  await d.batch(statements as [(typeof statements)[number], ...(typeof statements)[number][]]);
  // A new active model. A prediction's: every profile re-scores (the backfill job refreshes
  // them all). A recommendation's: profiles pick it up at their next read (the version moved).
  if (p.activate) await definitionsChanged(env, projectId, { backfill: p.ownerKind === "prediction" });
  const row = await d.select().from(models).where(eq(models.id, id)).get();
  return presentModel(row!);
}

/** Makes this version the active one (a rollback when it is older). */
export async function activateModel(env: Env, d: Db, projectId: string, id: string) {
  const row = await d
    .select()
    .from(models)
    .where(and(eq(models.id, id), eq(models.projectId, projectId)))
    .get();
  if (row === undefined) throw new AppError(404, "not_found", `No model ${id}`);
  await d.batch([
    d
      .update(models)
      .set({ active: false })
      .where(and(eq(models.projectId, projectId), eq(models.ownerId, row.ownerId))),
    d.update(models).set({ active: true }).where(eq(models.id, row.id)),
    bumpDefinitionsVersion(d, projectId),
  ]);
  await definitionsChanged(env, projectId, { backfill: row.ownerKind === "prediction" });
  return presentModel({ ...row, active: true });
}
