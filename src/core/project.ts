import { z } from "zod";

/** Project ids appear in Durable Object names and R2 keys: a slug, never a path. */
export const projectIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, "must be 1-63 lowercase letters, digits, '-' or '_', starting with a letter or digit");

export const createProjectSchema = z.object({
  id: projectIdSchema,
  name: z.string().trim().min(1).max(200).optional(),
});
export type CreateProject = z.infer<typeof createProjectSchema>;

export const rotateKeySchema = z.object({ kind: z.enum(["ingest", "secret"]) });
