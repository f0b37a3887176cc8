import { and, asc, desc, eq, inArray, lt, or, sql } from "drizzle-orm";
import { z } from "zod";
import { randomKey } from "../../../core/hash";
import { ACTIVE_STATUSES, claimSchema, finishSchema, progressSchema, staleBefore, type TrainingJobView, type TrainingKind } from "../../../core/training-jobs";
import { models, trainingJobs } from "../../../db/schema";
import { createApp } from "../../app";
import { db, type Db } from "../../db";
import { getDefinition } from "../../definition-store";
import { AppError } from "../../errors";
import { requestProject } from "../../project-scope";
import { json, operation } from "../../api-contract";
import { trainingJob } from "./responses";

/**
 * Training jobs. The Worker cannot train, so `POST /predictions/:id/train` (and the same
 * for recommendations) queues a job; a Node trainer (`npm run train -- --watch`, which
 * `npm start` runs) claims the oldest one, reports progress (its heartbeat) and finishes
 * it with the model version it published, or the error. A project's jobs (listed, read,
 * reported on) live under its path; the claim, across projects, is `trainerQueue`'s.
 */
export const adminTrainingJobs = createApp();
export const trainerQueue = createApp();

type Row = typeof trainingJobs.$inferSelect;

const present = (j: Row): TrainingJobView => ({
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

/** `POST /:id/train` under /predictions or /recommendations: 202 with the job, the one already waiting if there is one. */
export function trainRoute(kind: TrainingKind) {
  const app = createApp();
  app.post(
    "/:id/train",
    operation({
      summary: `Train a ${kind}`,
      description: "Queues a job for a trainer; the one already waiting if there is one.",
      responses: { 202: json("The job", trainingJob) },
    }),
    async (c) => {
      const project = requestProject(c);
      const d = db(c.env);
      const owner = await getDefinition(d, kind === "prediction" ? "predictions" : "recommendations", project, c.req.param("id"));
      // The partial unique index keeps one queued or running job per definition, so two
      // requests at once still queue one job.
      const [created] = await d
        .insert(trainingJobs)
        .values({ id: `trn_${randomKey(6)}`, projectId: project, kind, ownerId: owner.id, status: "queued", requestedAt: Date.now() })
        .onConflictDoNothing()
        .returning();
      const job =
        created ??
        (await d
          .select()
          .from(trainingJobs)
          .where(and(eq(trainingJobs.projectId, project), eq(trainingJobs.ownerId, owner.id)))
          .orderBy(desc(active), desc(trainingJobs.requestedAt))
          .get());
      return c.json(present(job!), 202);
    },
  );
  return app;
}

const listQuery = z.object({
  owner: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

adminTrainingJobs.get(
  "/",
  operation({ summary: "List training jobs", query: listQuery, responses: { 200: json("Newest first", z.object({ jobs: z.array(trainingJob) })) } }),
  async (c) => {
    const q = c.req.valid("query");
    const rows = await db(c.env)
      .select()
      .from(trainingJobs)
      .where(and(eq(trainingJobs.projectId, requestProject(c)), q.owner === undefined ? undefined : eq(trainingJobs.ownerId, q.owner)))
      .orderBy(desc(trainingJobs.requestedAt), desc(trainingJobs.id))
      .limit(q.limit);
    return c.json({ jobs: rows.map(present) });
  },
);

/** Claims the oldest claimable job of any project: one UPDATE, so two trainers asking at once never get the same job. */
async function claimOldest(d: Db, worker: string, now: number): Promise<Row | undefined> {
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
  return row;
}

/** While a claim waits (`wait_seconds`), the queue is looked at this often. */
const CLAIM_WAIT_STEP_MS = 1_000;

/**
 * A trainer asks for work: the oldest claimable job, `{"job": null}` when there is none.
 * With `wait_seconds` the request waits that long for one to arrive (a long poll).
 */
trainerQueue.post(
  "/claim",
  operation({
    summary: "Claim the oldest training job (trainers)",
    body: claimSchema,
    responses: { 200: json("The job, or null when there is none", z.object({ job: trainingJob.nullable() })) },
  }),
  async (c) => {
    const { worker, wait_seconds } = c.req.valid("json");
    const d = db(c.env);
    const deadline = Date.now() + wait_seconds * 1000;
    for (;;) {
      const row = await claimOldest(d, worker, Date.now());
      if (row !== undefined || Date.now() >= deadline) return c.json({ job: row === undefined ? null : present(row) });
      await new Promise((r) => setTimeout(r, Math.min(CLAIM_WAIT_STEP_MS, deadline - Date.now())));
    }
  },
);

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

adminTrainingJobs.get("/:id", operation({ summary: "Read a training job", responses: { 200: json("The job", trainingJob) } }), async (c) =>
  c.json(present(await find(db(c.env), requestProject(c), c.req.param("id")))),
);

/** Applies a trainer's report to the job it holds: 404 for an unknown job, 409 when it is not (any longer) that trainer's. */
async function report(d: Db, projectId: string, id: string, worker: string, set: Partial<Row>): Promise<Row> {
  const [row] = await d
    .update(trainingJobs)
    .set(set)
    .where(and(eq(trainingJobs.id, id), eq(trainingJobs.projectId, projectId), eq(trainingJobs.status, "running"), eq(trainingJobs.claimedBy, worker)))
    .returning();
  if (row !== undefined) return row;
  const now = await find(d, projectId, id);
  const why = now.status === "running" ? `is held by another trainer (${now.claimedBy ?? "none"}) now` : `is ${now.status}`;
  throw new AppError(409, "conflict", `Training job ${id} ${why}`, [{ field: "worker", message: `the job ${why}` }]);
}

/** A heartbeat, with the trainer's latest progress line when it has one. */
adminTrainingJobs.post(
  "/:id/progress",
  operation({ summary: "Report progress (the trainer's heartbeat)", body: progressSchema, responses: { 200: json("The job", trainingJob) } }),
  async (c) => {
    const body = c.req.valid("json");
    const row = await report(db(c.env), requestProject(c), c.req.param("id"), body.worker, {
      heartbeatAt: Date.now(),
      ...(body.message === undefined ? {} : { message: body.message }),
    });
    return c.json(present(row));
  },
);

/** The end of a job: `succeeded` with the model it published (a version of the job's definition), or `failed` with the error. */
adminTrainingJobs.post(
  "/:id/finish",
  operation({ summary: "Finish a training job", body: finishSchema, responses: { 200: json("The job", trainingJob) } }),
  async (c) => {
    const body = c.req.valid("json");
    const d = db(c.env);
    const id = c.req.param("id");
    const project = requestProject(c);
    const now = Date.now();
    if (body.status === "failed") {
      return c.json(present(await report(d, project, id, body.worker, { status: "failed", finishedAt: now, heartbeatAt: now, error: body.error })));
    }
    const job = await find(d, project, id);
    const model = await d
      .select()
      .from(models)
      .where(and(eq(models.id, body.model_id), eq(models.ownerId, job.ownerId), eq(models.projectId, job.projectId)))
      .get();
    if (model === undefined)
      throw new AppError(400, "invalid_request", `Invalid body: model_id: no model ${body.model_id} of ${job.ownerId}`, [
        { field: "model_id", message: `no model ${body.model_id} of ${job.ownerId}` },
      ]);
    const row = await report(d, project, job.id, body.worker, {
      status: "succeeded",
      finishedAt: now,
      heartbeatAt: now,
      modelId: model.id,
      modelVersion: model.version,
      message: body.message ?? `published version ${model.version}`,
    });
    return c.json(present(row));
  },
);
