import { z } from "zod";

/**
 * Training jobs: the admin API queues them, a Node trainer claims them. What both sides
 * (and the admin UI) agree on lives here: the job as the API presents it, the bodies a
 * trainer sends, and when a running job counts as abandoned.
 */

/** A running job whose trainer has not been heard from for this long may be claimed again. */
export const STALE_AFTER_MS = 5 * 60_000;
/** How often a trainer heartbeats while it works: well inside STALE_AFTER_MS. */
export const HEARTBEAT_MS = 30_000;

export const TRAINING_KINDS = ["prediction", "recommendation"] as const;
export type TrainingKind = (typeof TRAINING_KINDS)[number];
export const TRAINING_STATUSES = ["queued", "running", "succeeded", "failed"] as const;
export type TrainingStatus = (typeof TRAINING_STATUSES)[number];
/** A job waiting for or held by a trainer: at most one per definition (the schema's partial unique index). */
export const ACTIVE_STATUSES = ["queued", "running"] as const satisfies readonly TrainingStatus[];

/** A training job as `/admin/api/training-jobs` presents it. */
export interface TrainingJobView {
  id: string;
  project_id: string;
  kind: TrainingKind;
  owner_id: string;
  status: TrainingStatus;
  requested_at: number;
  started_at: number | null;
  finished_at: number | null;
  claimed_by: string | null;
  heartbeat_at: number | null;
  attempts: number;
  message: string | null;
  error: string | null;
  model_id: string | null;
  model_version: number | null;
}

/** Heartbeats older than this (at `now`) are stale. */
export function staleBefore(now: number): number {
  return now - STALE_AFTER_MS;
}

/**
 * Whether a trainer may claim the job at `now`: it is queued, or it is running but its
 * trainer went quiet (crashed, or was stopped mid-job). The claim query says the same in SQL.
 */
export function isClaimable(job: { status: TrainingStatus; heartbeat_at: number | null }, now: number): boolean {
  return job.status === "queued" || (job.status === "running" && (job.heartbeat_at ?? 0) < staleBefore(now));
}

export const isActive = (job: { status: TrainingStatus }) => (ACTIVE_STATUSES as readonly TrainingStatus[]).includes(job.status);

/** A trainer names itself when it claims, and on every report about the job it holds. */
const workerId = z.string().trim().min(1).max(200);
const line = z.string().max(2000);

/** The longest a claim may wait for a job to arrive (a long poll: one request, not one every few seconds). */
export const MAX_CLAIM_WAIT_SECONDS = 25;
/** How long a trainer's claim waits unless told otherwise: inside MAX_CLAIM_WAIT_SECONDS. */
export const CLAIM_WAIT_SECONDS = 20;
export const claimSchema = z.object({ worker: workerId, wait_seconds: z.number().int().min(0).max(MAX_CLAIM_WAIT_SECONDS).default(0) });
export const progressSchema = z.object({ worker: workerId, message: line.optional() });
export const finishSchema = z.discriminatedUnion("status", [
  z.object({ worker: workerId, status: z.literal("succeeded"), model_id: z.string().min(1).max(100), message: line.optional() }),
  z.object({ worker: workerId, status: z.literal("failed"), error: z.string().min(1).max(4000) }),
]);
export type FinishBody = z.infer<typeof finishSchema>;
