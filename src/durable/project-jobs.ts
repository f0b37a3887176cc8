import { DurableObject } from "cloudflare:workers";
import { backfillStep, resumeBackfill, startBackfill } from "./backfill-job";
import { deletionStep, queueDeletion } from "./deletion-job";
import { exportStep, queueExport } from "./export-job";
import { reconcileStep, startReconcile, type ReconcileRun } from "./reconcile-job";
import { runSync, type RunSummary } from "./sync-run";

/**
 * One per project: runs the project's long jobs in alarm-sized steps — backfills
 * (backfill-job.ts), deletions (deletion-job.ts), reconciliations (reconcile-job.ts),
 * cohort downloads (export-job.ts) — and sync runs.
 */
export class ProjectJobs extends DurableObject<Env> {
  async startBackfill(projectId: string, definitionsVersion: number): Promise<{ id: string; total: number }> {
    const started = await startBackfill(this.env, this.ctx.storage, projectId, definitionsVersion);
    await this.ctx.storage.setAlarm(Date.now());
    return started;
  }

  readonly #syncsRunning = new Map<string, Promise<RunSummary>>();

  /** Runs a sync now; a run already under way for it is joined, not doubled. */
  async runSync(syncId: string): Promise<RunSummary> {
    let run = this.#syncsRunning.get(syncId);
    if (run === undefined) {
      run = runSync(this.env, syncId).finally(() => this.#syncsRunning.delete(syncId));
      this.#syncsRunning.set(syncId, run);
    }
    return run;
  }

  /** Queues a cohort download whose row already exists in D1. */
  async startExport(exportId: string): Promise<void> {
    await queueExport(this.ctx.storage, exportId);
    await this.ctx.storage.setAlarm(Date.now());
  }

  /** Queues a privacy deletion whose row already exists in D1 (deletion-job.ts). */
  async startDeletion(jobId: string): Promise<void> {
    await queueDeletion(this.ctx.storage, jobId);
    await this.ctx.storage.setAlarm(Date.now());
  }

  /** A partial backfill retries its failed profiles again (the route has set it running). */
  async resumeBackfill(id: string, projectId: string): Promise<void> {
    await resumeBackfill(this.ctx.storage, id, projectId);
    await this.ctx.storage.setAlarm(Date.now());
  }

  /** Starts a reconciliation of the membership index (reconcile-job.ts); answers the running one if there is one. */
  async startReconcile(projectId: string): Promise<ReconcileRun> {
    const run = await startReconcile(this.env, this.ctx.storage, projectId);
    await this.ctx.storage.setAlarm(Date.now());
    return run;
  }

  override async alarm(): Promise<void> {
    const backfillIn = await backfillStep(this.env, this.ctx.storage);
    const exportIn = await exportStep(this.env, this.ctx.storage);
    const deletionIn = await deletionStep(this.env, this.ctx.storage);
    const reconcileIn = await reconcileStep(this.env, this.ctx.storage);
    const next = [backfillIn, exportIn, deletionIn, reconcileIn].filter((ms) => ms !== null);
    if (next.length > 0) await this.ctx.storage.setAlarm(Date.now() + Math.min(...next));
  }
}
