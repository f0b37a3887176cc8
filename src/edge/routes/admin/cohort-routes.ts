import { z } from "zod";
import type { Hono } from "hono";
import type { AppEnv } from "../../app";
import { json, operation } from "../../api-contract";
import { db } from "../../db";
import { AppError } from "../../errors";
import { requestedDefinition, requestProject } from "../../project-scope";
import { setStaticMembers } from "../../static-members";

/** Routes only cohorts have: a static cohort's members. */
export function cohortRoutes(app: Hono<AppEnv>): void {
  const membersSchema = z.object({
    ids: z.array(z.string().min(1).max(1024)).min(1).max(10_000),
    id_type: z.enum(["user_id", "device_id"]).default("user_id"),
    operation: z.enum(["add", "remove"]).default("add"),
  });
  /** Static cohorts: add or remove members by id. */
  const membersResult = z.object({
    cohort_id: z.string(),
    operation: z.enum(["add", "remove"]),
    applied: z.number().int(),
    skipped_ids: z.array(z.string()),
  });
  app.post(
    "/:id/members",
    operation({ summary: "Add or remove a static cohort's members", body: membersSchema, responses: { 200: json("What was applied", membersResult) } }),
    async (c) => {
      const project = requestProject(c);
      const row = await requestedDefinition(c, "cohorts");
      if ((row.definition as { type?: string }).type !== "static") {
        throw new AppError(400, "invalid_request", `Cohort ${row.id} is behavioral: its members follow its definition`, [
          { field: "id", message: "not a static cohort" },
        ]);
      }
      const input = c.req.valid("json");
      const result = await setStaticMembers(
        c.env,
        db(c.env),
        project,
        row.id,
        input.ids,
        input.id_type === "user_id" ? "user" : "device",
        input.operation === "add",
      );
      return c.json({ cohort_id: row.id, operation: input.operation, applied: result.applied.length, skipped_ids: result.skipped });
    },
  );
}
