import { DurableObject } from "cloudflare:workers";
import { and, count, eq, gt, isNull, ne } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { cohortCsv, cohortJson, propertyColumns, type CohortMemberRow } from "../core/cohort-file";
import { parseProfileKey } from "../core/event";
import { randomKey } from "../core/hash";
import { addFailures, afterRetry, nextStep, type FailedSet } from "../core/backfill-retries";
import { settleWithRetries } from "../core/settle-with-retries";
import { backfillJobs, cohortExports, cohortMembers, users } from "../db/schema";
import { deletionStep, queueDeletion } from "./deletion-job";
import { reconcileStep, startReconcile, type ReconcileRun } from "./reconcile-job";
import { profileStub } from "./stub";
import { runSync, type RunSummary } from "./sync-run";

/** Profiles refreshed per alarm step (BACKFILL_PAGE overrides, e.g. in tests). */
const DEFAULT_PAGE = 50;
const MEMBER_PAGE = 1_000;
const CONCURRENCY = 32;

export function cohortExportKey(projectId: string, exportId: string, format: "csv" | "json"): string {
  return `exports/${projectId}/${exportId}.${format}`;
}

/** The running backfill, as the alarm finds it; `retryAt` while a retry round waits. */
interface BackfillCursor {
  id: string;
  projectId: string;
  retryAt?: number;
}
type BackfillRow = typeof backfillJobs.$inferSelect;

/**
 * One per project: runs the project's long jobs in alarm-sized steps. A backfill walks
 * the user registry in key order, asking each profile to recompute; the cursor is
 * saved in D1 after every page, so a restart resumes where it stopped. Cohort
 * downloads are written to R2 (CSV and JSON) one after another.
 */
export class ProjectJobs extends DurableObject<Env> {
  async startBackfill(projectId: string, definitionsVersion: number): Promise<{ id: string; total: number }> {
    const db = drizzle(this.env.DB);
    const now = Date.now();
    const id = `bf_${randomKey(6)}`;
    const [{ total }] = (await db
      .select({ total: count() })
      .from(users)
      .where(and(eq(users.projectId, projectId), isNull(users.mergedInto)))) as [{ total: number }];
    await db.batch([
      db
        .update(backfillJobs)
        .set({ status: "superseded", updatedAt: now, finishedAt: now })
        .where(and(eq(backfillJobs.projectId, projectId), eq(backfillJobs.status, "running"))),
      db.insert(backfillJobs).values({ id, projectId, definitionsVersion, status: "running", total, startedAt: now, updatedAt: now }),
    ]);
    await this.ctx.storage.put("job", { id, projectId });
    await this.ctx.storage.setAlarm(now);
    return { id, total };
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
    await this.ctx.storage.put("job", { id, projectId } satisfies BackfillCursor);
    await this.ctx.storage.setAlarm(Date.now());
  }

  /** Starts a reconciliation of the membership index (reconcile-job.ts); answers the running one if there is one. */
  async startReconcile(projectId: string): Promise<ReconcileRun> {
    const run = await startReconcile(this.env, this.ctx.storage, projectId);
    await this.ctx.storage.setAlarm(Date.now());
    return run;
  }

  override async alarm(): Promise<void> {
    const backfillIn = await this.#backfillStep();
    const exportIn = (await this.#exportStep()) ? 0 : null;
    const deletionIn = await deletionStep(this.env, this.ctx.storage);
    const reconcileIn = await reconcileStep(this.env, this.ctx.storage);
    const next = [backfillIn, exportIn, deletionIn, reconcileIn].filter((ms) => ms !== null);
    if (next.length > 0) await this.ctx.storage.setAlarm(Date.now() + Math.min(...next));
  }

  /** One step of the running backfill; answers the ms until its next step, null when it has none. */
  async #backfillStep(): Promise<number | null> {
    const current = await this.ctx.storage.get<BackfillCursor>("job");
    if (current === undefined) return null;
    const db = drizzle(this.env.DB);
    const job = await db.select().from(backfillJobs).where(eq(backfillJobs.id, current.id)).get();
    if (job === undefined || job.status !== "running") {
      await this.ctx.storage.delete("job");
      return null;
    }
    if (current.retryAt !== undefined) {
      const wait = current.retryAt - Date.now();
      return wait > 0 ? wait : this.#retryRound(job, current);
    }
    const page = await db
      .select({ key: users.profileKey })
      .from(users)
      .where(and(eq(users.projectId, job.projectId), isNull(users.mergedInto), gt(users.profileKey, job.cursor)))
      .orderBy(users.profileKey)
      .limit(this.#pageSize());
    // The walk has passed every profile: retry what failed, or finish.
    if (page.length === 0) return this.#settle(job, current, { failures: job.failures, failedKeys: job.failedKeys }, job.retryRound);
    const failed = await this.#refresh(job.projectId, page.map((u) => u.key));
    if (failed.keys.length > 0) console.warn(`backfill ${job.id}: ${failed.keys.length} profiles failed after retries, first ${failed.keys[0]}: ${failed.error}`);
    const set = addFailures({ failures: job.failures, failedKeys: job.failedKeys }, failed.keys);
    await db
      .update(backfillJobs)
      .set({ cursor: page[page.length - 1]!.key, processed: job.processed + page.length, ...set, lastError: failed.error ?? job.lastError, updatedAt: Date.now() })
      .where(and(eq(backfillJobs.id, job.id), ne(backfillJobs.status, "superseded")));
    return 0;
  }

  /** Retries every kept failed profile once (in pages), then settles what is left. */
  async #retryRound(job: BackfillRow, current: BackfillCursor): Promise<number | null> {
    const stillFailed: string[] = [];
    let error = job.lastError;
    for (let i = 0; i < job.failedKeys.length; i += this.#pageSize()) {
      const failed = await this.#refresh(job.projectId, job.failedKeys.slice(i, i + this.#pageSize()));
      stillFailed.push(...failed.keys);
      error = failed.error ?? error;
    }
    const set = afterRetry({ failures: job.failures, failedKeys: job.failedKeys }, stillFailed);
    const round = job.retryRound + 1;
    console.warn(`backfill ${job.id}: retry round ${round} recovered ${job.failedKeys.length - stillFailed.length} of ${job.failedKeys.length} profiles`);
    await drizzle(this.env.DB)
      .update(backfillJobs)
      .set({ ...set, retryRound: round, lastError: error, updatedAt: Date.now() })
      .where(and(eq(backfillJobs.id, job.id), eq(backfillJobs.status, "running")));
    return this.#settle(job, { id: current.id, projectId: current.projectId }, set, round);
  }

  /** After the walk or a retry round: another round later, or the job's end (succeeded only when nothing failed). */
  async #settle(job: BackfillRow, current: BackfillCursor, set: FailedSet, round: number): Promise<number | null> {
    const step = nextStep(set, round);
    // A newer backfill may have taken the cursor while this one awaited D1 or the profiles.
    const owns = (await this.ctx.storage.get<BackfillCursor>("job"))?.id === current.id;
    if (step.status === "retry") {
      if (!owns) return 0;
      await this.ctx.storage.put("job", { ...current, retryAt: Date.now() + step.inMs });
      return step.inMs;
    }
    const now = Date.now();
    await drizzle(this.env.DB)
      .update(backfillJobs)
      .set({ status: step.status, failures: set.failures, failedKeys: set.failedKeys, retryRound: round, updatedAt: now, finishedAt: now })
      .where(and(eq(backfillJobs.id, job.id), eq(backfillJobs.status, "running")));
    if (!owns) return 0;
    await this.ctx.storage.delete("job");
    return null;
  }

  /** Asks each profile to recompute; answers the keys that still failed after quick retries. */
  async #refresh(projectId: string, keys: readonly string[]): Promise<{ keys: string[]; error?: string }> {
    // Many profiles recompute at once: a failure is usually transient (see settleWithRetries).
    const failed = await settleWithRetries(keys, async (key) => profileStub(this.env, projectId, parseProfileKey(key)).refresh());
    return { keys: failed.map((f) => f.item), error: failed.length > 0 ? String(failed[0]!.reason).slice(0, 500) : undefined };
  }

  #pageSize(): number {
    return Number(this.env.BACKFILL_PAGE ?? DEFAULT_PAGE);
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
