import { eq } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { inGlobalControl, readSettings } from "../core/project";
import { projects } from "../db/schema";

/**
 * Which profiles a sync may send: never the project's global control group (core/project.ts),
 * read from the settings as the run starts. Users sent before the group existed are not retracted.
 */
export async function syncable(db: DrizzleD1Database, projectId: string): Promise<(profileKey: string) => boolean> {
  const row = await db.select({ settings: projects.settings }).from(projects).where(eq(projects.id, projectId)).get();
  const { percent } = readSettings(row?.settings).global_control;
  return (key) => !inGlobalControl(projectId, key, percent);
}
