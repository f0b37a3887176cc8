import { z } from "zod";
import { createProjectSchema, projectSettingsSchema, rotateKeySchema } from "../../../core/project";
import type { ProfileRef } from "../../../core/event";
import { currentDefinitions } from "../../../db/definitions-cache";
import { profileStub } from "../../../durable/stub";
import { createApp } from "../../app";
import { db } from "../../db";
import { AppError } from "../../errors";
import { requireAdmission } from "../../ingest-pipeline";
import { itemDetails } from "../../item-store";
import { forgetKeys } from "../../keys";
import { createProject, listProjects, rotateKey } from "../../project-store";
import { requestProject } from "../../project-scope";
import { projectSettings, saveProjectSettings } from "../../project-settings";
import { exposurePerformance } from "../../lift-store";
import { personalizeKey } from "../../../core/identity-verification";
import { GLOBAL_EXPOSURE } from "../../../core/served-outcomes";
import { epochMs, json, operation } from "../../api-contract";
import { searchProfiles } from "../../insights-store";
import { issuedKey, exposurePerformance as performanceView, projectSummary, userLookup } from "./responses";

/** The project list and project creation: the only admin routes about projects in general. */
export const adminProjects = createApp();

adminProjects.get(
  "/",
  operation({ summary: "List projects", responses: { 200: json("Every project", z.object({ projects: z.array(projectSummary) })) } }),
  async (c) => c.json({ projects: await listProjects(db(c.env)) }),
);

const created = z.object({ project: projectSummary, api_key: z.string(), secret_key: z.string().describe("shown in this answer only") });

adminProjects.post(
  "/",
  operation({ summary: "Create a project", body: createProjectSchema, responses: { 201: json("The project and its two keys", created) } }),
  async (c) => {
    const input = c.req.valid("json");
    const keys = await createProject(db(c.env), input.id, input.name ?? input.id);
    if (keys === null) throw new AppError(409, "conflict", `Project ${input.id} already exists`, { field: "id" });
    const [project] = await listProjects(db(c.env), input.id);
    return c.json({ project, api_key: keys.apiKey, secret_key: keys.secretKey }, 201);
  },
);

/** One project (mounted under /projects/:project, behind requireProject): its keys, settings and users. */
export const projectRoutes = createApp();

projectRoutes.get("/", operation({ summary: "Read a project", responses: { 200: json("The project", z.object({ project: projectSummary })) } }), async (c) => {
  const [project] = await listProjects(db(c.env), requestProject(c));
  return c.json({ project });
});

projectRoutes.post(
  "/keys/rotate",
  operation({
    summary: "Rotate a key",
    description: "Issues a new ingestion or secret key and revokes the old one at once.",
    body: rotateKeySchema,
    responses: { 201: json("The new key, shown in this answer only", issuedKey) },
  }),
  async (c) => {
    const { kind } = c.req.valid("json");
    const issued = await rotateKey(db(c.env), requestProject(c), kind);
    forgetKeys();
    return c.json(issued, 201);
  },
);

projectRoutes.get(
  "/settings",
  operation({ summary: "Read the project's settings", responses: { 200: json("The settings", projectSettingsSchema) } }),
  async (c) => c.json(await projectSettings(db(c.env), requestProject(c))),
);

/** Replaces the project's settings (today: what /v1/personalize may reveal, and to which origins). */
projectRoutes.put(
  "/settings",
  operation({
    summary: "Replace the project's settings",
    body: projectSettingsSchema,
    responses: { 200: json("The settings as saved", projectSettingsSchema) },
  }),
  async (c) => {
    const settings = c.req.valid("json");
    await saveProjectSettings(db(c.env), requestProject(c), settings);
    return c.json(settings);
  },
);

/** Secure mode's key for the site's server (user_hash = hex HMAC-SHA256(key, user_id)); bump identity_verification.rotation in the settings to change it. */
const personalizeKeyView = z.object({ key: z.string(), rotation: z.number().int(), algorithm: z.string() });

projectRoutes.get("/personalize-key", operation({ summary: "Read secure mode's key", responses: { 200: json("The key", personalizeKeyView) } }), async (c) => {
  const project = requestProject(c);
  const { rotation } = (await projectSettings(db(c.env), project)).personalize.identity_verification;
  return c.json({ key: await personalizeKey(c.env.CREDENTIALS_KEY, project, rotation), rotation, algorithm: "HMAC-SHA256, hex, of the user_id" });
});

/** What personalization as a whole is worth: the global control group against everyone else shown it (core/lift.ts). */
projectRoutes.get(
  "/performance",
  operation({
    summary: "The global control group's lift",
    responses: { 200: json("The group's settings and its report", performanceView.extend({ global_control: projectSettingsSchema.shape.global_control })) },
  }),
  async (c) => {
    const project = requestProject(c);
    const settings = await projectSettings(db(c.env), project);
    return c.json({ global_control: settings.global_control, ...(await exposurePerformance(db(c.env), project, GLOBAL_EXPOSURE)) });
  },
);

const searchView = z.object({
  matches: z.array(z.object({ user_id: z.string().nullable(), device_id: z.string().nullable(), event_count: z.number().int(), last_seen: epochMs })),
});

/** Profiles whose user_id or device_id starts with `q`: the lookup's "did you mean". */
projectRoutes.get(
  "/users/search",
  operation({
    summary: "Find users by the start of their id",
    query: z.object({ q: z.string().min(1).max(1024), limit: z.coerce.number().int().min(1).max(100).default(20) }),
    responses: { 200: json("Matching profiles, by id", searchView) },
  }),
  async (c) => {
    const { q, limit } = c.req.valid("query");
    return c.json({ matches: await searchProfiles(db(c.env), requestProject(c), q, limit) });
  },
);

const lookupSchema = z
  .object({ user_id: z.string().min(1).optional(), device_id: z.string().min(1).optional(), events: z.coerce.number().int().min(0).max(1000).default(20) })
  .refine((q) => (q.user_id === undefined) !== (q.device_id === undefined), { message: "give exactly one of user_id or device_id", path: ["user_id"] });

/** A profile by user_id or device_id (a merged device resolves to its user), with recent events. */
projectRoutes.get(
  "/users",
  operation({
    summary: "Look up a user",
    description:
      "A profile by user_id or device_id (a merged device resolves to its user): properties, cohorts, computed values, scores, recommendations and recent events.",
    query: lookupSchema,
    responses: { 200: json("The profile", userLookup) },
  }),
  async (c) => {
    const projectId = requestProject(c);
    const query = c.req.valid("query");
    const ref: ProfileRef = query.user_id !== undefined ? { kind: "user", id: query.user_id } : { kind: "device", id: query.device_id! };
    requireAdmission(c.env, projectId, [ref]);
    const stub = profileStub(c.env, projectId, ref);
    // One read: the profile, its cohorts and computed values, its scores and recommendations.
    const recIds = (await currentDefinitions(c.env, projectId)).recommendations.map((r) => r.id);
    const read = await stub.read(true, { ids: recIds, override: null, shown: false });
    if (read === null) throw new AppError(404, "not_found", `No profile for ${ref.kind}_id ${ref.id}`);
    const { profile, segments, scores, recommendations } = read;
    const owner = profile.user_id !== null ? profileStub(c.env, projectId, { kind: "user", id: profile.user_id }) : stub;
    const events = query.events > 0 ? await owner.getRecentEvents(query.events) : [];
    const named = await Promise.all(
      recommendations.map(async (r) => ({ ...r, item_details: await itemDetails(c.env, db(c.env), projectId, r.rec_id, r.items) })),
    );
    return c.json({ profile, segments, scores, recommendations: named, events });
  },
);
