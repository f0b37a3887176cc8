import { desc, eq } from "drizzle-orm";
import { reconcileRuns } from "../db/schema";
import type { ReconcileRun } from "../jobs/reconcile-job";
import type { Db } from "./db";

/** Reconciliations of the membership index with the profiles (jobs/reconcile-job.ts), as the admin API shows them. */
export const presentReconciliation = (r: ReconcileRun) => ({
  id: r.id,
  status: r.status,
  checked: r.checked,
  added: r.added,
  removed: r.removed,
  skipped: r.skipped,
  failures: r.failures,
  last_error: r.lastError,
  started_at: r.startedAt,
  updated_at: r.updatedAt,
  finished_at: r.finishedAt,
});

/** The last 20, newest first. */
export async function listReconciliations(d: Db, projectId: string) {
  const rows = await d.select().from(reconcileRuns).where(eq(reconcileRuns.projectId, projectId)).orderBy(desc(reconcileRuns.startedAt)).limit(20);
  return rows.map(presentReconciliation);
}
