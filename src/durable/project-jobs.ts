import { DurableObject } from "cloudflare:workers";
import { backfillStep, resumeBackfill, startBackfill } from "../jobs/backfill-job";
import { deletionStep, queueDeletion } from "../jobs/deletion-job";
import { exportStep, queueExport } from "../jobs/export-job";
import { reconcileStep, startReconcile, type ReconcileRun } from "../jobs/reconcile-job";
import { runSync, type RunSummary } from "../jobs/sync-run";
import { DUE_WORK_TABLE, DueWork } from "./due-work";

/** A kind of long job, and its step: one alarm-sized piece of work, answering ms until its next (null: its queue is empty). */
type JobKind = "backfill" | "export" | "deletion" | "reconcile";
const STEPS: Record<JobKind, (env: Env, storage: DurableObjectStorage) => Promise<number | null>> = {
  backfill: backfillStep,
  export: exportStep,
  deletion: deletionStep,
  reconcile: reconcileStep,
};

/**
 * One per project: runs the project's long jobs in alarm-sized steps — backfills
 * (jobs/backfill-job.ts), deletions (deletion-job.ts), reconciliations (reconcile-job.ts),
 * cohort downloads (export-job.ts) — on the same due-work table as a profile's (each kind
 * due on its own, a failed step retried with backoff while the others go on), and sync runs.
 */
export class ProjectJobs extends DurableObject<Env> {
  readonly #work: DueWork<JobKind>;
  readonly #syncsRunning = new Map<string, Promise<RunSummary>>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    const created = sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'due_work'").toArray().length === 0;
    sql.exec(DUE_WORK_TABLE);
    this.#work = new DueWork<JobKind>(sql, ctx.storage);
    this.#work.load();
    // An object from before the table kept its jobs' progress in its queues alone: look at every queue once.
    if (created) for (const kind of Object.keys(STEPS) as JobKind[]) this.#work.schedule(kind, Date.now());
  }

  async startBackfill(projectId: string, definitionsVersion: number): Promise<{ id: string; total: number }> {
    const started = await startBackfill(this.env, this.ctx.storage, projectId, definitionsVersion);
    await this.#due("backfill");
    return started;
  }

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
    await this.#due("export");
  }

  /** Queues a privacy deletion whose row already exists in D1 (deletion-job.ts). */
  async startDeletion(jobId: string): Promise<void> {
    await queueDeletion(this.ctx.storage, jobId);
    await this.#due("deletion");
  }

  /** A partial backfill retries its failed profiles again (the route has set it running). */
  async resumeBackfill(id: string, projectId: string): Promise<void> {
    await resumeBackfill(this.ctx.storage, id, projectId);
    await this.#due("backfill");
  }

  /** Starts a reconciliation of the membership index (reconcile-job.ts); answers the running one if there is one. */
  async startReconcile(projectId: string): Promise<ReconcileRun> {
    const run = await startReconcile(this.env, this.ctx.storage, projectId);
    await this.#due("reconcile");
    return run;
  }

  override async alarm(): Promise<void> {
    this.#work.fired();
    await this.#work.runDue(async (kind) => {
      const inMs = await STEPS[kind](this.env, this.ctx.storage);
      return inMs === null ? null : Date.now() + inMs;
    });
  }

  async #due(kind: JobKind): Promise<void> {
    this.#work.schedule(kind, Date.now());
    await this.#work.arm();
  }
}
