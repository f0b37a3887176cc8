import { and, desc, eq } from "drizzle-orm";
import { randomKey } from "../core/hash";
import { cohortExports } from "../db/schema";
import { cohortExportKey } from "../core/cohort-file";
import type { Db } from "./db";
import { AppError } from "./errors";

type ExportRow = typeof cohortExports.$inferSelect;

/** Records a download of a cohort of this project and starts it (ProjectJobs runs it). */
export async function createExport(env: Env, db: Db, projectId: string, req: { cohortId: string; withProps: boolean; propKeys: string[] }): Promise<ExportRow> {
  const row: ExportRow = {
    id: randomKey(6),
    projectId,
    ...req,
    status: "running",
    rows: null,
    error: null,
    attempts: 0,
    failures: 0,
    failedKeys: [],
    createdAt: Date.now(),
    finishedAt: null,
  };
  await db.insert(cohortExports).values(row);
  await env.PROJECT_JOBS.getByName(projectId).startExport(row.id);
  return row;
}

/** A finished download's file (CSV, Amplitude's format, or JSON); 409 while it runs or after it failed. */
export async function exportFile(env: Env, row: ExportRow, format: "csv" | "json"): Promise<Response> {
  if (row.status === "failed")
    throw new AppError(409, "conflict", `Cohort download ${row.id} failed (${row.error ?? "unknown error"}): request the cohort again`);
  if (row.status !== "completed") throw new AppError(409, "conflict", `Cohort download ${row.id} is still running`);
  const object = await env.ARCHIVE.get(cohortExportKey(row.projectId, row.id, format));
  if (object === null) throw new AppError(404, "not_found", `The file of cohort download ${row.id} is gone`);
  return new Response(object.body, {
    headers: {
      "content-type": format === "csv" ? "text/csv; charset=utf-8" : "application/json",
      "content-disposition": `attachment; filename="cohort-${row.cohortId}.${format}"`,
    },
  });
}

/** One cohort download request of this project (404 for another project's). */
export async function findExport(db: Db, projectId: string, id: string): Promise<ExportRow> {
  const row = await db
    .select()
    .from(cohortExports)
    .where(and(eq(cohortExports.id, id), eq(cohortExports.projectId, projectId)))
    .get();
  if (row === undefined) throw new AppError(404, "not_found", `No cohort download request ${id}`);
  return row;
}

/** The project's latest cohort downloads, newest first. */
export async function listExports(db: Db, projectId: string, limit: number): Promise<ExportRow[]> {
  return db.select().from(cohortExports).where(eq(cohortExports.projectId, projectId)).orderBy(desc(cohortExports.createdAt)).limit(limit).all();
}

/** What a download's attempts could not do (retrying, or failed for good): nothing while all is well. */
export const attemptReport = (row: Pick<ExportRow, "attempts" | "failures" | "failedKeys" | "error">) =>
  row.attempts === 0 ? {} : { failed_attempts: row.attempts, failures: row.failures, failed_profiles: row.failedKeys, last_error: row.error };

/** A download as the admin API lists it. */
export function presentExport(row: ExportRow) {
  return {
    id: row.id,
    cohort_id: row.cohortId,
    status: row.status,
    rows: row.rows,
    with_props: row.withProps,
    failed_attempts: row.attempts,
    failures: row.failures,
    failed_profiles: row.failedKeys,
    last_error: row.error,
    created_at: row.createdAt,
    finished_at: row.finishedAt,
  };
}
