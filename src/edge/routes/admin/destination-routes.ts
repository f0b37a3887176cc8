import { z } from "zod";
import type { Hono } from "hono";
import type { AppEnv } from "../../app";
import { json, operation } from "../../api-contract";
import { testDestination } from "../../destination-test";
import { requestedDefinition, requestProject } from "../../project-scope";

/** Routes only destinations have: "Send a test". */
export function destinationRoutes(app: Hono<AppEnv>): void {
  /** "Send a test": one harmless request with the stored settings, its answer in one line. */
  const testResult = z.object({ ok: z.boolean(), status: z.number().int().nullable(), detail: z.string() });
  app.post(
    "/:id/test",
    operation({ summary: "Send a test to a destination", responses: { 200: json("Whether the destination took the test, in words", testResult) } }),
    async (c) => {
      const project = requestProject(c);
      const row = await requestedDefinition(c, "destinations");
      return c.json(await testDestination(c.env, project, row));
    },
  );
}
