import { z } from "zod";
import { hash32 } from "./hash";
import { eventSpecSchema } from "./segments/schema";

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

/**
 * A project-wide control group: a stable share of users who get no personalization
 * (empty recommendation lists, no public cohorts or values, `global_control: true` in
 * every answer) and are never sent to a sync. Everyone shown personalization is exposed
 * once; the goal's conversions in control against the rest measure what personalization
 * as a whole is worth (GET /performance).
 */
export const globalControlSchema = z.object({
  percent: z.number().min(0).max(50).default(0),
  goal: z.object({ event: eventSpecSchema }).optional(),
  attribution_days: z.number().int().min(1).max(90).default(7),
  value_property: z.string().min(1).max(200).default("revenue"),
});
export type GlobalControl = z.infer<typeof globalControlSchema>;

export const projectSettingsSchema = z.object({
  personalize: personalizeSettingsSchema.default({ cohorts: [], computations: [], recommendations: [], origins: [] }),
  global_control: globalControlSchema.prefault({}),
});

/** Whether a profile is in the project's global control group (a hash: it never moves while the share stays). */
export function inGlobalControl(projectId: string, profileKey: string, percent: number): boolean {
  if (percent <= 0) return false;
  return (hash32(`global\u0000${projectId}\u0000${profileKey}`) / 2 ** 32) * 100 < percent;
}
export type ProjectSettings = z.infer<typeof projectSettingsSchema>;

/** Stored settings, tolerating older or partial JSON. */
export function readSettings(raw: unknown): ProjectSettings {
  const parsed = projectSettingsSchema.safeParse(raw ?? {});
  return parsed.success ? parsed.data : projectSettingsSchema.parse({});
}

/** The admin API path of something a project owns: everything project-scoped lives under `/projects/:project`. */
export const projectApiPath = (project: string, path = ""): string => `/projects/${encodeURIComponent(project)}${path}`;

/**
 * A read's place in the global control group: whether the profile is in it (so gets no
 * personalization) and, when the group is measured (a share and a goal are set) and the
 * answer is shown, the exposure its profile records.
 */
export function globalAssignment(g: GlobalControl, projectId: string, profileKey: string, shown: boolean) {
  const control = inGlobalControl(projectId, profileKey, g.percent);
  const exposure = g.percent > 0 && g.goal !== undefined && shown ? { control, goal: g.goal.event, valueProperty: g.value_property, attributionDays: g.attribution_days } : undefined;
  return { control, exposure };
}
