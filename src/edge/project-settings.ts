import { eq } from "drizzle-orm";
import { readSettings, type ProjectSettings } from "../core/project";
import { projects } from "../db/schema";
import type { Db } from "./db";

/** Project settings, cached per isolate: the read path never waits on D1 in steady state. */
const TTL_MS = 10_000;
const cache = new Map<string, { settings: ProjectSettings; expires: number }>();

export async function projectSettings(db: Db, projectId: string): Promise<ProjectSettings> {
  const now = Date.now();
  const hit = cache.get(projectId);
  if (hit !== undefined && hit.expires > now) return hit.settings;
  const row = await db.select({ settings: projects.settings }).from(projects).where(eq(projects.id, projectId)).get();
  const settings = readSettings(row?.settings);
  cache.set(projectId, { settings, expires: now + TTL_MS });
  return settings;
}

export async function saveProjectSettings(db: Db, projectId: string, settings: ProjectSettings): Promise<void> {
  await db.update(projects).set({ settings }).where(eq(projects.id, projectId));
  cache.delete(projectId);
}
