import { eq } from "drizzle-orm";
import { cacheNamespace } from "../core/isolate-cache";
import { readSettings, type ProjectSettings } from "../core/project";
import { projects } from "../db/schema";
import type { Db } from "./db";

/** Project settings, cached per isolate: the read path never waits on D1 in steady state. */
const cache = cacheNamespace<ProjectSettings>("project-settings", { maxEntries: 1_000, ttlMs: 10_000 });

export function projectSettings(db: Db, projectId: string): Promise<ProjectSettings> {
  return cache.load(projectId, async () => {
    const row = await db.select({ settings: projects.settings }).from(projects).where(eq(projects.id, projectId)).get();
    return readSettings(row?.settings);
  });
}

export async function saveProjectSettings(db: Db, projectId: string, settings: ProjectSettings): Promise<void> {
  await db.update(projects).set({ settings }).where(eq(projects.id, projectId));
  cache.delete(projectId);
}
