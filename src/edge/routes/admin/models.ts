import { and, desc, eq, max } from "drizzle-orm";
import { z } from "zod";
import { fromBase64 } from "../../../core/base64";
import { randomKey } from "../../../core/hash";
import { predictionMetadataSchema, recommendationMetadataSchema } from "../../../core/model-contract";
import { TRAINING_KINDS } from "../../../core/training-jobs";
import { bumpDefinitionsVersion } from "../../../db/definitions";
import { definitionsChanged } from "../../definitions-version";
import { models } from "../../../db/schema";
import { createApp } from "../../app";
import { db } from "../../db";
import { AppError } from "../../errors";
import { getDefinition } from "../../definition-store";
import { requestProject } from "../../project-scope";
import { servedQualityByModel, type ServedView } from "../../served-quality-store";
import { parseWith } from "../../validate";
import { json, operation } from "../../api-contract";
import { modelView } from "./responses";

/**
 * Trained model versions. The trainer publishes here (bytes to R2, a version row in D1);
 * one version per prediction or recommendation is active, and any older one can be
 * re-activated (rollback).
 */
export const adminModels = createApp();

const listQuery = z.object({ owner_id: z.string().optional() });
const publishSchema = z.object({
  owner_kind: z.enum(TRAINING_KINDS),
  owner_id: z.string().min(1),
  /** The ONNX model, base64. */
  model: z.string().min(1),
  metadata: z.record(z.string(), z.unknown()),
  activate: z.boolean().default(true),
});

export function modelKey(projectId: string, ownerId: string, version: number): string {
  return `models/${projectId}/${ownerId}/v${version}`;
}

const present = (m: typeof models.$inferSelect, served?: ServedView) => ({
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

adminModels.get(
  "/",
  operation({
    summary: "List model versions",
    query: listQuery,
    responses: { 200: json("Newest first, each with its served quality", z.object({ models: z.array(modelView) })) },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const project = requestProject(c);
    const d = db(c.env);
    const [rows, served] = await Promise.all([
      d
        .select()
        .from(models)
        .where(and(eq(models.projectId, project), q.owner_id === undefined ? undefined : eq(models.ownerId, q.owner_id)))
        .orderBy(desc(models.createdAt)),
      servedQualityByModel(d, project, q.owner_id),
    ]);
    return c.json({ models: rows.map((m) => present(m, served.get(m.id))) });
  },
);

adminModels.post(
  "/",
  operation({
    summary: "Publish a model version",
    description: "The trainer's upload: the ONNX bytes and metadata checked against the trainer ↔ Worker contract (core/model-contract.ts).",
    body: publishSchema,
    responses: { 201: json("The version", modelView) },
  }),
  async (c) => {
    const project = requestProject(c);
    const input = c.req.valid("json");
    // The trainer ↔ Worker contract (core/model-contract.ts): refused here, not when a profile loads it.
    const metadata =
      input.owner_kind === "prediction"
        ? { kind: "prediction" as const, ...parseWith(z.object({ metadata: predictionMetadataSchema }), { metadata: input.metadata }, "metadata").metadata }
        : {
            kind: "recommendation" as const,
            ...parseWith(z.object({ metadata: recommendationMetadataSchema }), { metadata: input.metadata }, "metadata").metadata,
          };
    // A model belongs to one of this project's predictions or recommendations (404 otherwise).
    await getDefinition(db(c.env), input.owner_kind === "prediction" ? "predictions" : "recommendations", project, input.owner_id);
    let bytes: Uint8Array;
    try {
      bytes = fromBase64(input.model);
    } catch {
      throw new AppError(400, "invalid_request", "model must be base64", [{ field: "model", message: "not base64" }]);
    }
    const d = db(c.env);
    const [{ v }] = (await d
      .select({ v: max(models.version) })
      .from(models)
      .where(and(eq(models.projectId, project), eq(models.ownerId, input.owner_id)))) as [{ v: number | null }];
    const version = (v ?? 0) + 1;
    const key = modelKey(project, input.owner_id, version);
    await Promise.all([
      c.env.ARCHIVE.put(`${key}.onnx`, bytes, { httpMetadata: { contentType: "application/octet-stream" } }),
      c.env.ARCHIVE.put(`${key}.json`, JSON.stringify(input.metadata), { httpMetadata: { contentType: "application/json" } }),
    ]);
    const id = `mdl_${randomKey(5)}`;
    const metrics = metadata.metrics;
    const serving = metadata.kind === "prediction" ? { feature_spec: metadata.feature_spec, quantiles: metadata.quantiles } : {};
    const statements = [
      ...(input.activate
        ? [
            d
              .update(models)
              .set({ active: false })
              .where(and(eq(models.projectId, project), eq(models.ownerId, input.owner_id))),
          ]
        : []),
      d.insert(models).values({
        id,
        projectId: project,
        ownerKind: input.owner_kind,
        ownerId: input.owner_id,
        version,
        r2Key: key,
        metrics,
        serving,
        active: input.activate,
        createdAt: Date.now(),
      }),
      // Profiles reload their definitions (and so the active models) when the version moves.
      bumpDefinitionsVersion(d, project),
    ];
    await d.batch(statements as [(typeof statements)[number], ...(typeof statements)[number][]]);
    // A new active model. A prediction's: every profile re-scores (the backfill job refreshes
    // them all). A recommendation's: profiles pick it up at their next read (the version moved).
    if (input.activate) await definitionsChanged(c.env, project, { backfill: input.owner_kind === "prediction" });
    const row = await d.select().from(models).where(eq(models.id, id)).get();
    return c.json(present(row!), 201);
  },
);

/** Makes this version the active one (a rollback when it is older). */
adminModels.post(
  "/:id/activate",
  operation({ summary: "Activate a model version (a rollback when older)", responses: { 200: json("The version", modelView) } }),
  async (c) => {
    const project = requestProject(c);
    const d = db(c.env);
    const row = await d
      .select()
      .from(models)
      .where(and(eq(models.id, c.req.param("id")), eq(models.projectId, project)))
      .get();
    if (row === undefined) throw new AppError(404, "not_found", `No model ${c.req.param("id")}`);
    await d.batch([
      d
        .update(models)
        .set({ active: false })
        .where(and(eq(models.projectId, project), eq(models.ownerId, row.ownerId))),
      d.update(models).set({ active: true }).where(eq(models.id, row.id)),
      bumpDefinitionsVersion(d, project),
    ]);
    await definitionsChanged(c.env, project, { backfill: row.ownerKind === "prediction" });
    return c.json(present({ ...row, active: true }));
  },
);
