import { z } from "zod";
import type { Hono } from "hono";
import type { AppEnv } from "../../app";
import { type ProfileRef } from "../../../core/event";
import { recommendationSchema } from "../../../core/recommendations/schema";
import { profileStub } from "../../../durable/stub";
import { json, operation } from "../../api-contract";
import { db } from "../../db";
import { AppError } from "../../errors";
import { itemDetails } from "../../item-store";
import { exposurePerformance } from "../../lift-store";
import { requestedDefinition, requestProject } from "../../project-scope";
import { exposurePerformance as performanceView, recommendationAnswer } from "./responses";

/** Routes only recommendations have: one user's preview and the lift report. */
export function recommendationRoutes(app: Hono<AppEnv>): void {
  const previewSchema = z
    .object({ user_id: z.string().min(1).optional(), device_id: z.string().min(1).optional(), rec_type: z.enum(["model", "random", "popular"]).optional() })
    .refine((q) => (q.user_id === undefined) !== (q.device_id === undefined), { message: "give exactly one of user_id or device_id", path: ["user_id"] });
  /** One user's recommendation as the profile API would answer it now (a preview for the UI). */
  app.get(
    "/:id/preview",
    operation({
      summary: "Preview one user's recommendation",
      query: previewSchema,
      responses: { 200: json("The list the profile API would answer now", recommendationAnswer) },
    }),
    async (c) => {
      const project = requestProject(c);
      const q = c.req.valid("query");
      const row = await requestedDefinition(c, "recommendations");
      const ref: ProfileRef = q.user_id !== undefined ? { kind: "user", id: q.user_id } : { kind: "device", id: q.device_id! };
      const read = await profileStub(c.env, project, ref).read(false, { ids: [row.id], override: q.rec_type ?? null, shown: false });
      if (read === null) throw new AppError(404, "not_found", `No profile for ${ref.kind}_id ${ref.id}`);
      const answer = read.recommendations[0]!;
      return c.json({ ...answer, item_details: await itemDetails(c.env, db(c.env), project, row.id, answer.items) });
    },
  );

  /** Lift: treatment against control among the users shown this recommendation (core/lift.ts). */
  const recPerformance = performanceView.extend({
    recommendation_id: z.string(),
    control_percent: z.number(),
    attribution: recommendationSchema.shape.attribution,
  });
  app.get(
    "/:id/performance",
    operation({ summary: "A recommendation's lift", responses: { 200: json("Treatment against control", recPerformance) } }),
    async (c) => {
      const project = requestProject(c);
      const row = await requestedDefinition(c, "recommendations");
      // Parsed: a definition stored before a field existed gets its default.
      const definition = recommendationSchema.parse(row.definition);
      return c.json({
        recommendation_id: row.id,
        control_percent: definition.control.percent,
        attribution: definition.attribution,
        ...(await exposurePerformance(db(c.env), project, row.id)),
      });
    },
  );
}
