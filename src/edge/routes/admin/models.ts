import { z } from "zod";
import { fromBase64 } from "../../../core/base64";
import { predictionMetadataSchema, recommendationMetadataSchema } from "../../../core/model-contract";
import { TRAINING_KINDS } from "../../../core/training-jobs";
import { createApp } from "../../app";
import { db } from "../../db";
import { AppError } from "../../errors";
import { activateModel, listModels, publishModel } from "../../model-store";
import { requestProject } from "../../project-scope";
import { parseWith } from "../../validate";
import { json, operation } from "../../api-contract";
import { modelView } from "./responses";

/**
 * Trained model versions (edge/model-store.ts). The trainer publishes here; one version
 * per prediction or recommendation is active, and any older one can be re-activated (rollback).
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

adminModels.get(
  "/",
  operation({
    summary: "List model versions",
    query: listQuery,
    responses: { 200: json("Newest first, each with its served quality", z.object({ models: z.array(modelView) })) },
  }),
  async (c) => c.json({ models: await listModels(db(c.env), requestProject(c), c.req.valid("query").owner_id) }),
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
    const input = c.req.valid("json");
    // The trainer ↔ Worker contract (core/model-contract.ts): refused here, not when a profile loads it.
    const metadata =
      input.owner_kind === "prediction"
        ? { kind: "prediction" as const, ...parseWith(z.object({ metadata: predictionMetadataSchema }), { metadata: input.metadata }, "metadata").metadata }
        : {
            kind: "recommendation" as const,
            ...parseWith(z.object({ metadata: recommendationMetadataSchema }), { metadata: input.metadata }, "metadata").metadata,
          };
    let bytes: Uint8Array;
    try {
      bytes = fromBase64(input.model);
    } catch {
      throw new AppError(400, "invalid_request", "model must be base64", [{ field: "model", message: "not base64" }]);
    }
    const published = await publishModel(c.env, db(c.env), requestProject(c), {
      ownerKind: input.owner_kind,
      ownerId: input.owner_id,
      bytes,
      rawMetadata: input.metadata,
      metadata,
      activate: input.activate,
    });
    return c.json(published, 201);
  },
);

adminModels.post(
  "/:id/activate",
  operation({ summary: "Activate a model version (a rollback when older)", responses: { 200: json("The version", modelView) } }),
  async (c) => c.json(await activateModel(c.env, db(c.env), requestProject(c), c.req.param("id"))),
);
