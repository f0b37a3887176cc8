import { and, eq, gt } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { admitJobProfiles } from "../core/admission";
import { cohortCsv, cohortExportKey, cohortJson, propertyColumns, type CohortMemberRow } from "../core/cohort-file";
import type { JsonObject } from "../core/json";
import { readConfig, type ConfigVars } from "../core/config";
import { parseProfileKey } from "../core/event";
import { afterFailedAttempt, MAX_FAILED_KEYS } from "../core/job-retries";
import { settleWithRetries } from "../core/settle-with-retries";
import { cohortExports, cohortMembers } from "../db/schema";
import { JobQueue } from "./job-queue";
import { profileStub } from "../durable/stub";

/**
 * Cohort downloads (the Cohort API's async request), written to R2 as CSV and JSON by the
 * project's ProjectJobs object, one after another. A download is all or nothing: an
 * attempt that cannot read every member (after quick retries) or write the files is
 * retried whole after 5, 20 and 80 s (job-retries.ts), then the download is `failed`
 * with the count and the keys of the members it could not read — never a file that
 * silently lacks them.
 */
const MEMBER_PAGE = 1_000;
const CONCURRENCY = 32;
const QUEUE = "exports";

type JobEnv = Pick<Env, "DB" | "ARCHIVE" | "USER_PROFILE"> & ConfigVars;

/** Queues a cohort download whose row already exists in D1. */
export async function queueExport(storage: DurableObjectStorage, exportId: string): Promise<void> {
  await new JobQueue(storage, QUEUE).add(exportId);
}

/** Runs the first download that is due; answers the ms until the next one is (null: none queued). */
export async function exportStep(env: JobEnv, storage: DurableObjectStorage): Promise<number | null> {
  const queue = new JobQueue(storage, QUEUE);
  const due = await queue.due(Date.now());
  if (due !== undefined) {
    const retryAt = await attempt(env, due);
    await queue.after(due, retryAt === null ? "done" : { retryAt });
  }
  return queue.nextInMs(Date.now());
}

/** One attempt at a download; answers when to try again (null: finished, or failed for good). */
async function attempt(env: JobEnv, exportId: string): Promise<number | null> {
  const db = drizzle(env.DB);
  const job = await db.select().from(cohortExports).where(eq(cohortExports.id, exportId)).get();
  if (job === undefined || job.status !== "running") return null;
  let failedKeys: string[] = [];
  let error: string;
  try {
    const { rows, failed } = await members(env, job.projectId, job.cohortId, job.withProps);
    if (failed.length === 0) {
      const columns = job.withProps ? propertyColumns(rows, job.propKeys) : [];
      await Promise.all([
        env.ARCHIVE.put(cohortExportKey(job.projectId, job.id, "csv"), cohortCsv(rows, columns), { httpMetadata: { contentType: "text/csv" } }),
        env.ARCHIVE.put(cohortExportKey(job.projectId, job.id, "json"), cohortJson(rows, columns), { httpMetadata: { contentType: "application/json" } }),
      ]);
      await db
        .update(cohortExports)
        .set({ status: "completed", rows: rows.length, failures: 0, failedKeys: [], error: null, finishedAt: Date.now() })
        .where(eq(cohortExports.id, job.id));
      return null;
    }
    failedKeys = failed.map((f) => f.key);
    error = `${failed.length} of ${rows.length + failed.length} members could not be read: ${String(failed[0]!.reason).slice(0, 300)}`;
  } catch (err) {
    error = String(err).slice(0, 500);
  }
  const attempts = job.attempts + 1;
  const next = afterFailedAttempt(attempts);
  console.warn("cohort download attempt failed", job.id, { attempts, next: next.status, error });
  const failure = { attempts, failures: failedKeys.length, failedKeys: failedKeys.slice(0, MAX_FAILED_KEYS), error };
  await db
    .update(cohortExports)
    .set(next.status === "retry" ? failure : { ...failure, status: "failed", finishedAt: Date.now() })
    .where(eq(cohortExports.id, job.id));
  return next.status === "retry" ? Date.now() + next.inMs : null;
}

/** Waits until the local server's admission lets the job address these profiles (core/admission.ts). */
async function admitted(env: JobEnv, projectId: string, keys: readonly string[]): Promise<void> {
  for (let a = admitJobProfiles(readConfig(env), projectId, keys); !a.ok; a = admitJobProfiles(readConfig(env), projectId, keys)) {
    await new Promise((r) => setTimeout(r, a.ok ? 0 : a.retryAfterMs));
  }
}

/** The cohort's members from the index (with their properties when asked), and those whose profile could not be read. */
async function members(env: JobEnv, projectId: string, cohortId: string, withProps: boolean) {
  const db = drizzle(env.DB);
  const rows: CohortMemberRow[] = [];
  const failed: { key: string; reason: unknown }[] = [];
  let cursor = "";
  for (;;) {
    const page = await db
      .select({ key: cohortMembers.profileKey })
      .from(cohortMembers)
      .where(and(eq(cohortMembers.cohortId, cohortId), eq(cohortMembers.projectId, projectId), gt(cohortMembers.profileKey, cursor)))
      .orderBy(cohortMembers.profileKey)
      .limit(MEMBER_PAGE);
    for (let i = 0; i < page.length; i += CONCURRENCY) {
      const slice = page.slice(i, i + CONCURRENCY).map((m) => m.key);
      const properties = new Map<string, JsonObject>();
      if (withProps) {
        await admitted(env, projectId, slice);
        const read = async (key: string) => properties.set(key, (await profileStub(env, projectId, parseProfileKey(key)).getProfile())?.user_properties ?? {});
        for (const f of await settleWithRetries(slice, read)) failed.push({ key: f.item, reason: f.reason });
      }
      for (const key of slice) {
        if (withProps && !properties.has(key)) continue;
        const ref = parseProfileKey(key);
        rows.push({ profileKey: key, userId: ref.kind === "user" ? ref.id : null, properties: properties.get(key) ?? {} });
      }
    }
    if (page.length < MEMBER_PAGE) return { rows, failed };
    cursor = page[page.length - 1]!.key;
  }
}
