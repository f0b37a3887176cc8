import { eq } from "drizzle-orm";
import { isDue, syncSchema } from "../core/syncs/schema";
import { cohorts, projects, syncs } from "../db/schema";
import { latestReconcile, RECONCILE_EVERY_MS } from "../jobs/reconcile-job";
import { lastRuns } from "../jobs/sync-run";
import { db } from "./db";

/**
 * The Worker's cron trigger (every minute): starts every active sync whose cadence is
 * due. Each runs in its project's jobs object, which never runs the same sync twice at once.
 */
export async function runDueSyncs(env: Env, now: number): Promise<string[]> {
  const d = db(env);
  const [active, lastRun] = await Promise.all([
    d.select({ id: syncs.id, projectId: syncs.projectId, definition: syncs.definition }).from(syncs).where(eq(syncs.status, "active")),
    lastRuns(env, null),
  ]);
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

/**
 * Starts each project's daily reconciliation of the membership index when it is due:
 * projects with cohorts, a day after the last one (or after the project was created, so
 * that a fresh server loading its data is not walked at once).
 */
export async function startDueReconciliations(env: Env, now: number): Promise<string[]> {
  const d = db(env);
  const withCohorts = await d
    .selectDistinct({ projectId: projects.id, createdAt: projects.createdAt })
    .from(projects)
    .innerJoin(cohorts, eq(cohorts.projectId, projects.id));
  const due: string[] = [];
  for (const { projectId, createdAt } of withCohorts) {
    const last = await latestReconcile(env, projectId);
    if (last?.status !== "running" && now - (last?.startedAt ?? createdAt) >= RECONCILE_EVERY_MS) due.push(projectId);
  }
  const started = await Promise.allSettled(due.map((p) => env.PROJECT_JOBS.getByName(p).startReconcile(p)));
  started.forEach((r, i) => {
    if (r.status === "rejected") console.error(`reconciliation of ${due[i]} could not start`, r.reason);
  });
  return due;
}

export const scheduled: ExportedHandlerScheduledHandler<Env> = async (controller, env, ctx) => {
  ctx.waitUntil(runDueSyncs(env, controller.scheduledTime));
  ctx.waitUntil(startDueReconciliations(env, controller.scheduledTime));
};
