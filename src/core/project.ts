import { z } from "zod";
import { heldOut, holdoutExposure, holdoutSchema, type Holdout, type HoldoutExposure } from "./holdout";

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
  origins: z
    .array(z.string().regex(/^(\*|https?:\/\/[^/\s]+)$/, "an origin like https://shop.example, or *"))
    .max(100)
    .default([]),
  /** Secure mode (core/identity-verification.ts): a user id must come with its `user_hash`; anonymous device ids allowed or not; bump `rotation` to change the key. */
  identity_verification: z
    .object({ required: z.boolean().default(false), allow_device_ids: z.boolean().default(true), rotation: z.number().int().min(0).default(0) })
    .prefault({}),
});

/**
 * A project-wide control group (a measured holdout): a stable share of users who get no
 * personalization (empty recommendation lists, no public cohorts or values,
 * `global_control: true` in every answer) and are never sent to a sync. Everyone shown
 * personalization is exposed once; the goal's conversions in the group against the rest
 * measure what personalization as a whole is worth (GET /performance).
 */
export const globalControlSchema = holdoutSchema;
export type GlobalControl = Holdout;

export const projectSettingsSchema = z.object({
  personalize: personalizeSettingsSchema.prefault({}),
  global_control: globalControlSchema.prefault({}),
});
export type ProjectSettings = z.infer<typeof projectSettingsSchema>;

/** Whether a profile is in the project's global control group. */
export function inGlobalControl(projectId: string, profileKey: string, percent: number): boolean {
  return heldOut(`global\u0000${projectId}`, profileKey, percent);
}

/** Stored settings, tolerating older or partial JSON. */
export function readSettings(raw: unknown): ProjectSettings {
  const parsed = projectSettingsSchema.safeParse(raw ?? {});
  return parsed.success ? parsed.data : projectSettingsSchema.parse({});
}

/** The admin API path of something a project owns: everything project-scoped lives under `/projects/:project`. */
export const projectApiPath = (project: string, path = ""): string => `/projects/${encodeURIComponent(project)}${path}`;

/** A read's place in the global control group: in it (no personalization), and the exposure a shown answer records. */
export function globalAssignment(
  g: GlobalControl,
  projectId: string,
  profileKey: string,
  shown: boolean,
): { control: boolean; exposure: HoldoutExposure | undefined } {
  const control = inGlobalControl(projectId, profileKey, g.percent);
  return { control, exposure: shown ? holdoutExposure(g, control) : undefined };
}
