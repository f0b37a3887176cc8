import { z } from "zod";

/** Project ids appear in Durable Object names and R2 keys: a slug, never a path. */
export const projectIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, "must be 1-63 lowercase letters, digits, '-' or '_', starting with a letter or digit");

export const createProjectSchema = z.object({
  id: projectIdSchema,
  name: z.string().trim().min(1).max(200).optional(),
});

export const rotateKeySchema = z.object({ kind: z.enum(["ingest", "secret"]) });

/**
 * What `/v1/personalize` (public key, callable from browsers) may reveal, and which
 * web origins may call it. Nothing is public unless listed here.
 */
export const personalizeSettingsSchema = z.object({
  cohorts: z.array(z.string().min(1)).max(500).default([]),
  computations: z.array(z.string().min(1)).max(500).default([]),
  recommendations: z.array(z.string().min(1)).max(100).default([]),
  /** Exact origins (`https://shop.example`); `*` allows any. */
  origins: z.array(z.string().regex(/^(\*|https?:\/\/[^/\s]+)$/, "an origin like https://shop.example, or *")).max(100).default([]),
});

export const projectSettingsSchema = z.object({
  personalize: personalizeSettingsSchema.default({ cohorts: [], computations: [], recommendations: [], origins: [] }),
});
export type ProjectSettings = z.infer<typeof projectSettingsSchema>;

/** Stored settings, tolerating older or partial JSON. */
export function readSettings(raw: unknown): ProjectSettings {
  const parsed = projectSettingsSchema.safeParse(raw ?? {});
  return parsed.success ? parsed.data : projectSettingsSchema.parse({});
}

/** The admin API path of something a project owns: everything project-scoped lives under `/projects/:project`. */
export const projectApiPath = (project: string, path = ""): string => `/projects/${encodeURIComponent(project)}${path}`;
