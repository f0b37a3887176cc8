import { DurableObject } from "cloudflare:workers";
import { and, eq, gt } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { cohortCsv, cohortJson, propertyColumns, type CohortMemberRow } from "../core/cohort-file";
import { parseProfileKey } from "../core/event";
import { cohortExports, cohortMembers } from "../db/schema";
import { backfillStep, resumeBackfill, startBackfill } from "./backfill-job";
import { deletionStep, queueDeletion } from "./deletion-job";
import { reconcileStep, startReconcile, type ReconcileRun } from "./reconcile-job";
import { profileStub } from "./stub";
import { runSync, type RunSummary } from "./sync-run";

const MEMBER_PAGE = 1_000;
const CONCURRENCY = 32;

export function cohortExportKey(projectId: string, exportId: string, format: "csv" | "json"): string {
  return `exports/${projectId}/${exportId}.${format}`;
}

/**
 * One per project: runs the project's long jobs in alarm-sized steps — backfills
 * (backfill-job.ts), deletions (deletion-job.ts), reconciliations (reconcile-job.ts) —
 * and sync runs; cohort downloads are written to R2 (CSV and JSON) one after another.
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
    const queue = (await this.ctx.storage.get<string[]>("exports")) ?? [];
    await this.ctx.storage.put("exports", [...queue, exportId]);
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
    const exportIn = (await this.#exportStep()) ? 0 : null;
    const deletionIn = await deletionStep(this.env, this.ctx.storage);
    const reconcileIn = await reconcileStep(this.env, this.ctx.storage);
    const next = [backfillIn, exportIn, deletionIn, reconcileIn].filter((ms) => ms !== null);
    if (next.length > 0) await this.ctx.storage.setAlarm(Date.now() + Math.min(...next));
  }

  async #exportStep(): Promise<boolean> {
    const queue = (await this.ctx.storage.get<string[]>("exports")) ?? [];
    const exportId = queue[0];
    if (exportId === undefined) return false;
    const db = drizzle(this.env.DB);
    const job = await db.select().from(cohortExports).where(eq(cohortExports.id, exportId)).get();
    if (job !== undefined && job.status === "running") {
      try {
        const rows = await this.#members(job.projectId, job.cohortId, job.withProps);
        const columns = job.withProps ? propertyColumns(rows, job.propKeys) : [];
        await Promise.all([
          this.env.ARCHIVE.put(cohortExportKey(job.projectId, job.id, "csv"), cohortCsv(rows, columns), { httpMetadata: { contentType: "text/csv" } }),
          this.env.ARCHIVE.put(cohortExportKey(job.projectId, job.id, "json"), cohortJson(rows, columns), { httpMetadata: { contentType: "application/json" } }),
        ]);
        await db.update(cohortExports).set({ status: "completed", rows: rows.length, finishedAt: Date.now() }).where(eq(cohortExports.id, job.id));
      } catch (err) {
        console.error("cohort export failed", job.id, err);
        await db.update(cohortExports).set({ status: "failed", error: String(err).slice(0, 500), finishedAt: Date.now() }).where(eq(cohortExports.id, job.id));
      }
    }
    await this.ctx.storage.put("exports", queue.slice(1));
    return queue.length > 1;
  }

  async #members(projectId: string, cohortId: string, withProps: boolean): Promise<CohortMemberRow[]> {
    const db = drizzle(this.env.DB);
    const rows: CohortMemberRow[] = [];
    let cursor = "";
    for (;;) {
      const page = await db
        .select({ key: cohortMembers.profileKey })
        .from(cohortMembers)
        .where(and(eq(cohortMembers.cohortId, cohortId), eq(cohortMembers.projectId, projectId), gt(cohortMembers.profileKey, cursor)))
        .orderBy(cohortMembers.profileKey)
        .limit(MEMBER_PAGE);
      for (let i = 0; i < page.length; i += CONCURRENCY) {
        const slice = page.slice(i, i + CONCURRENCY);
        const profiles = withProps ? await Promise.all(slice.map((m) => profileStub(this.env, projectId, parseProfileKey(m.key)).getProfile())) : [];
        slice.forEach((m, j) => {
          const ref = parseProfileKey(m.key);
          rows.push({ profileKey: m.key, userId: ref.kind === "user" ? ref.id : null, properties: profiles[j]?.user_properties ?? {} });
        });
      }
      if (page.length < MEMBER_PAGE) return rows;
      cursor = page[page.length - 1]!.key;
    }
  }
}
