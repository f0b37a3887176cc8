import { z } from "zod";
import { claimSchema, finishSchema, progressSchema, type TrainingKind } from "../../../core/training-jobs";
import { json, operation } from "../../api-contract";
import { createApp } from "../../app";
import { db } from "../../db";
import { requestProject } from "../../project-scope";
import { claimOldest, getTrainingJob, listTrainingJobs, queueTraining, reportFailure, reportProgress, reportSuccess } from "../../training-job-store";
import { trainingJob } from "./responses";

/**
 * Training jobs (edge/training-job-store.ts). `POST /predictions/:id/train` (and the same
 * for recommendations) queues a job; a Node trainer (`npm run train -- --watch`, which
 * `npm start` runs) claims it. A project's jobs (listed, read, reported on) live under its
 * path; the claim, across projects, is `trainerQueue`'s.
 */
export const adminTrainingJobs = createApp();
export const trainerQueue = createApp();

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
    async (c) => c.json(await queueTraining(db(c.env), requestProject(c), kind, c.req.param("id")), 202),
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
  async (c) => c.json({ jobs: await listTrainingJobs(db(c.env), requestProject(c), c.req.valid("query")) }),
);

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
    const deadline = Date.now() + wait_seconds * 1000;
    for (;;) {
      const job = await claimOldest(db(c.env), worker, Date.now());
      if (job !== null || Date.now() >= deadline) return c.json({ job });
      await new Promise((r) => setTimeout(r, Math.min(CLAIM_WAIT_STEP_MS, deadline - Date.now())));
    }
  },
);

adminTrainingJobs.get("/:id", operation({ summary: "Read a training job", responses: { 200: json("The job", trainingJob) } }), async (c) =>
  c.json(await getTrainingJob(db(c.env), requestProject(c), c.req.param("id"))),
);

adminTrainingJobs.post(
  "/:id/progress",
  operation({ summary: "Report progress (the trainer's heartbeat)", body: progressSchema, responses: { 200: json("The job", trainingJob) } }),
  async (c) => {
    const body = c.req.valid("json");
    return c.json(await reportProgress(db(c.env), requestProject(c), c.req.param("id"), body.worker, body.message));
  },
);

/** The end of a job: `succeeded` with the model it published (a version of the job's definition), or `failed` with the error. */
adminTrainingJobs.post(
  "/:id/finish",
  operation({ summary: "Finish a training job", body: finishSchema, responses: { 200: json("The job", trainingJob) } }),
  async (c) => {
    const body = c.req.valid("json");
    const [d, project, id] = [db(c.env), requestProject(c), c.req.param("id")];
    return c.json(
      body.status === "failed"
        ? await reportFailure(d, project, id, body.worker, body.error)
        : await reportSuccess(d, project, id, body.worker, body.model_id, body.message),
    );
  },
);
