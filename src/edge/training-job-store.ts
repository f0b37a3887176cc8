import { and, asc, desc, eq, inArray, lt, or, sql } from "drizzle-orm";
import { randomKey } from "../core/hash";
import { ACTIVE_STATUSES, staleBefore, type TrainingJobView, type TrainingKind } from "../core/training-jobs";
import { models, trainingJobs } from "../db/schema";
import type { Db } from "./db";
import { getDefinition } from "./definition-store";
import { AppError } from "./errors";

/**
 * Training jobs in D1. The Worker cannot train: a request queues a job, a Node trainer
 * claims the oldest one, reports progress (its heartbeat) and finishes it with the model
 * version it published, or the error.
 */
type Row = typeof trainingJobs.$inferSelect;

export const presentTrainingJob = (j: Row): TrainingJobView => ({
  id: j.id,
  project_id: j.projectId,
  kind: j.kind,
  owner_id: j.ownerId,
  status: j.status,
  requested_at: j.requestedAt,
  started_at: j.startedAt,
  finished_at: j.finishedAt,
  claimed_by: j.claimedBy,
  heartbeat_at: j.heartbeatAt,
  attempts: j.attempts,
  message: j.message,
  error: j.error,
  model_id: j.modelId,
  model_version: j.modelVersion,
});

const active = inArray(trainingJobs.status, ACTIVE_STATUSES);

/** Queues training of one of the project's definitions: the job already waiting, if there is one. */
export async function queueTraining(d: Db, projectId: string, kind: TrainingKind, ownerId: string): Promise<TrainingJobView> {
  const owner = await getDefinition(d, kind === "prediction" ? "predictions" : "recommendations", projectId, ownerId);
  // The partial unique index keeps one queued or running job per definition, so two
  // requests at once still queue one job.
  const [created] = await d
    .insert(trainingJobs)
    .values({ id: `trn_${randomKey(6)}`, projectId, kind, ownerId: owner.id, status: "queued", requestedAt: Date.now() })
    .onConflictDoNothing()
    .returning();
  const job =
    created ??
    (await d
      .select()
      .from(trainingJobs)
      .where(and(eq(trainingJobs.projectId, projectId), eq(trainingJobs.ownerId, owner.id)))
      .orderBy(desc(active), desc(trainingJobs.requestedAt))
      .get());
  return presentTrainingJob(job!);
}

export async function listTrainingJobs(d: Db, projectId: string, { owner, limit }: { owner?: string | undefined; limit: number }): Promise<TrainingJobView[]> {
  const rows = await d
    .select()
    .from(trainingJobs)
    .where(and(eq(trainingJobs.projectId, projectId), owner === undefined ? undefined : eq(trainingJobs.ownerId, owner)))
    .orderBy(desc(trainingJobs.requestedAt), desc(trainingJobs.id))
    .limit(limit);
  return rows.map(presentTrainingJob);
}

/** Claims the oldest claimable job of any project: one UPDATE, so two trainers asking at once never get the same job. */
export async function claimOldest(d: Db, worker: string, now: number): Promise<TrainingJobView | null> {
  // The SQL form of isClaimable (src/core/training-jobs.ts).
  const claimable = or(
    eq(trainingJobs.status, "queued"),
    and(eq(trainingJobs.status, "running"), lt(sql`coalesce(${trainingJobs.heartbeatAt}, 0)`, staleBefore(now))),
  );
  const oldest = d.select({ id: trainingJobs.id }).from(trainingJobs).where(claimable).orderBy(asc(trainingJobs.requestedAt), asc(trainingJobs.id)).limit(1);
  const [row] = await d
    .update(trainingJobs)
    .set({
      status: "running",
      claimedBy: worker,
      startedAt: now,
      heartbeatAt: now,
      attempts: sql`${trainingJobs.attempts} + 1`,
      message: "claimed by a trainer",
      error: null,
    })
    .where(and(inArray(trainingJobs.id, oldest), claimable))
    .returning();
  return row === undefined ? null : presentTrainingJob(row);
}

/** A job of this project: another project's is as unknown as a missing one. */
async function find(d: Db, projectId: string, id: string): Promise<Row> {
  const row = await d
    .select()
    .from(trainingJobs)
    .where(and(eq(trainingJobs.id, id), eq(trainingJobs.projectId, projectId)))
    .get();
  if (row === undefined) throw new AppError(404, "not_found", `No training job ${id}`);
  return row;
}

export const getTrainingJob = async (d: Db, projectId: string, id: string): Promise<TrainingJobView> => presentTrainingJob(await find(d, projectId, id));

/** Applies a trainer's report to the job it holds: 404 for an unknown job, 409 when it is not (any longer) that trainer's. */
async function report(d: Db, projectId: string, id: string, worker: string, set: Partial<Row>): Promise<TrainingJobView> {
  const [row] = await d
    .update(trainingJobs)
    .set(set)
    .where(and(eq(trainingJobs.id, id), eq(trainingJobs.projectId, projectId), eq(trainingJobs.status, "running"), eq(trainingJobs.claimedBy, worker)))
    .returning();
  if (row !== undefined) return presentTrainingJob(row);
  const now = await find(d, projectId, id);
  const why = now.status === "running" ? `is held by another trainer (${now.claimedBy ?? "none"}) now` : `is ${now.status}`;
  throw new AppError(409, "conflict", `Training job ${id} ${why}`, [{ field: "worker", message: `the job ${why}` }]);
}

/** A heartbeat, with the trainer's latest progress line when it has one. */
export function reportProgress(d: Db, projectId: string, id: string, worker: string, message: string | undefined): Promise<TrainingJobView> {
  return report(d, projectId, id, worker, { heartbeatAt: Date.now(), ...(message === undefined ? {} : { message }) });
}

export function reportFailure(d: Db, projectId: string, id: string, worker: string, error: string): Promise<TrainingJobView> {
  const now = Date.now();
  return report(d, projectId, id, worker, { status: "failed", finishedAt: now, heartbeatAt: now, error });
}

/** Success: the job's model is a version of the job's own definition (a 400 naming `model_id` otherwise). */
export async function reportSuccess(
  d: Db,
  projectId: string,
  id: string,
  worker: string,
  modelId: string,
  message: string | undefined,
): Promise<TrainingJobView> {
  const job = await find(d, projectId, id);
  const model = await d
    .select()
    .from(models)
    .where(and(eq(models.id, modelId), eq(models.ownerId, job.ownerId), eq(models.projectId, job.projectId)))
    .get();
  if (model === undefined)
    throw new AppError(400, "invalid_request", `Invalid body: model_id: no model ${modelId} of ${job.ownerId}`, [
      { field: "model_id", message: `no model ${modelId} of ${job.ownerId}` },
    ]);
  const now = Date.now();
  return report(d, projectId, job.id, worker, {
    status: "succeeded",
    finishedAt: now,
    heartbeatAt: now,
    modelId: model.id,
    modelVersion: model.version,
    message: message ?? `published version ${model.version}`,
  });
}
