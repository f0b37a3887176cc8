import { eq, max } from "drizzle-orm";
import { isDue, syncSchema } from "../core/syncs/schema";
import { syncRuns, syncs } from "../db/schema";
import { db } from "./db";

/**
 * The Worker's cron trigger (every minute): starts every active sync whose cadence is
 * due. Each runs in its project's jobs object, which never runs the same sync twice at once.
 */
export async function runDueSyncs(env: Env, now: number): Promise<string[]> {
  const d = db(env);
  const [active, last] = await Promise.all([
    d.select({ id: syncs.id, projectId: syncs.projectId, definition: syncs.definition }).from(syncs).where(eq(syncs.status, "active")),
    d.select({ syncId: syncRuns.syncId, at: max(syncRuns.startedAt) }).from(syncRuns).groupBy(syncRuns.syncId),
  ]);
  const lastRun = new Map(last.map((r) => [r.syncId, r.at]));
  const due = active.filter((s) => {
    const parsed = syncSchema.safeParse(s.definition);
    return parsed.success && isDue(parsed.data.schedule, lastRun.get(s.id) ?? null, now);
  });
  const results = await Promise.allSettled(due.map((s) => env.PROJECT_JOBS.getByName(s.projectId).runSync(s.id)));
  results.forEach((r, i) => {
    if (r.status === "rejected") console.error(`sync ${due[i]!.id} could not run`, r.reason);
  });
  return due.map((s) => s.id);
}

export const scheduled: ExportedHandlerScheduledHandler<Env> = async (controller, env, ctx) => {
  ctx.waitUntil(runDueSyncs(env, controller.scheduledTime));
};
