import { z } from "zod";
import { createProjectSchema, projectSettingsSchema, rotateKeySchema } from "../../../core/project";
import type { ProfileRef } from "../../../core/event";
import { currentDefinitions } from "../../../db/definitions-cache";
import { profileStub } from "../../../durable/stub";
import { readConfig } from "../../../core/config";
import { admitProfiles } from "../../../core/admission";
import { createApp } from "../../app";
import { db } from "../../db";
import { AppError } from "../../errors";
import { retryAfter } from "../../ingest-pipeline";
import { forgetKeys } from "../../keys";
import { createProject, listProjects, rotateKey } from "../../project-store";
import { requestProject } from "../../project-scope";
import { projectSettings, saveProjectSettings } from "../../project-settings";
import { exposurePerformance } from "../../lift-store";
import { personalizeKey } from "../../../core/identity-verification";
import { GLOBAL_EXPOSURE } from "../../../core/served-outcomes";
import { jsonBody, parseWith } from "../../validate";

/** The project list and project creation: the only admin routes about projects in general. */
export const adminProjects = createApp();

adminProjects.get("/", async (c) => c.json({ projects: await listProjects(db(c.env)) }));

adminProjects.post("/", async (c) => {
  const input = await jsonBody(c, createProjectSchema);
  const keys = await createProject(db(c.env), input.id, input.name ?? input.id);
  if (keys === null) throw new AppError(409, "conflict", `Project ${input.id} already exists`, { field: "id" });
  const [project] = await listProjects(db(c.env), input.id);
  return c.json({ project, api_key: keys.apiKey, secret_key: keys.secretKey }, 201);
});

/** One project (mounted under /projects/:project, behind requireProject): its keys, settings and users. */
export const projectRoutes = createApp();

projectRoutes.get("/", async (c) => {
  const [project] = await listProjects(db(c.env), requestProject(c));
  return c.json({ project });
});

projectRoutes.post("/keys/rotate", async (c) => {
  const { kind } = await jsonBody(c, rotateKeySchema);
  const issued = await rotateKey(db(c.env), requestProject(c), kind);
  forgetKeys();
  return c.json(issued, 201);
});

projectRoutes.get("/settings", async (c) => c.json(await projectSettings(db(c.env), requestProject(c))));

/** Replaces the project's settings (today: what /v1/personalize may reveal, and to which origins). */
projectRoutes.put("/settings", async (c) => {
  const settings = await jsonBody(c, projectSettingsSchema);
  await saveProjectSettings(db(c.env), requestProject(c), settings);
  return c.json(settings);
});

/** Secure mode's key for the site's server (user_hash = hex HMAC-SHA256(key, user_id)); bump identity_verification.rotation in the settings to change it. */
projectRoutes.get("/personalize-key", async (c) => {
  const project = requestProject(c);
  const { rotation } = (await projectSettings(db(c.env), project)).personalize.identity_verification;
  return c.json({ key: await personalizeKey(c.env.CREDENTIALS_KEY, project, rotation), rotation, algorithm: "HMAC-SHA256, hex, of the user_id" });
});

/** What personalization as a whole is worth: the global control group against everyone else shown it (core/lift.ts). */
projectRoutes.get("/performance", async (c) => {
  const project = requestProject(c);
  const settings = await projectSettings(db(c.env), project);
  return c.json({ global_control: settings.global_control, ...(await exposurePerformance(db(c.env), project, GLOBAL_EXPOSURE)) });
});

const lookupSchema = z
  .object({ user_id: z.string().min(1).optional(), device_id: z.string().min(1).optional(), events: z.coerce.number().int().min(0).max(1000).default(20) })
  .refine((q) => (q.user_id === undefined) !== (q.device_id === undefined), { message: "give exactly one of user_id or device_id", path: ["user_id"] });

/** A profile by user_id or device_id (a merged device resolves to its user), with recent events. */
projectRoutes.get("/users", async (c) => {
  const projectId = requestProject(c);
  const query = parseWith(lookupSchema, c.req.query(), "query");
  const ref: ProfileRef = query.user_id !== undefined ? { kind: "user", id: query.user_id } : { kind: "device", id: query.device_id! };
  const admission = admitProfiles(readConfig(c.env), projectId, [ref]);
  if (!admission.ok)
    throw new AppError(503, "unavailable", "The server is at its bound of active profiles: retry", undefined, retryAfter(admission.retryAfterMs));
  const stub = profileStub(c.env, projectId, ref);
  // One read: the profile, its cohorts and computed values, its scores and recommendations.
  const recIds = (await currentDefinitions(c.env, projectId)).recommendations.map((r) => r.id);
  const read = await stub.read(true, { ids: recIds, override: null, shown: false });
  if (read === null) throw new AppError(404, "not_found", `No profile for ${ref.kind}_id ${ref.id}`);
  const { profile, segments, scores, recommendations } = read;
  const owner = profile.user_id !== null ? profileStub(c.env, projectId, { kind: "user", id: profile.user_id }) : stub;
  const events = query.events > 0 ? await owner.getRecentEvents(query.events) : [];
  return c.json({ profile, segments, scores, recommendations, events });
});
