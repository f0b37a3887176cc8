// `npm run train -- --watch`: trains what the admin UI (or API) queued. Claims the oldest
// job, runs the same training as `npm run train -- <id>`, reports progress (which is also
// its heartbeat) and finishes the job with the published model version or the error.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { CLAIM_WAIT_SECONDS, HEARTBEAT_MS, type FinishBody, type TrainingJobView } from "../core/training-jobs";
import { projectApiPath } from "../core/project";
import { adminClient, projectClient, type AdminCall, type PublishedModel } from "./admin-client";
import { resolveTargets, trainTargets } from "./run";

export interface WatchOptions {
  url: string;
  adminToken: string;
  /** How long each claim may wait for a job at the Worker (a long poll; default CLAIM_WAIT_SECONDS, 20 s). */
  waitSeconds?: number;
  /** The pause after a claim that found no job, or failed (default 1 s). */
  pollMs?: number;
  heartbeatMs?: number;
  /** This trainer's name in claimed_by (default: host, pid and a random suffix). */
  worker?: string;
  /** Stops the loop; a job in hand is reported failed ("the trainer was stopped"). */
  signal?: AbortSignal;
  log?: (line: string) => void;
}

/**
 * Progress lines for one job, sent in order and at most one per `minMs` (a run reads
 * hundreds of hours); `heartbeat()` sends regardless, with the latest line if it is new.
 */
export class ProgressReporter {
  #latest: string | undefined;
  #sent: string | undefined;
  #sentAt = -Infinity;
  #queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly send: (message: string | undefined) => Promise<void>,
    private readonly onError: (err: unknown) => void,
    private readonly minMs = 2_000,
    private readonly clock: () => number = Date.now,
  ) {}

  update(message: string): void {
    this.#latest = message;
    if (this.clock() - this.#sentAt >= this.minMs) void this.heartbeat();
  }

  heartbeat(): Promise<void> {
    this.#sentAt = this.clock();
    const message = this.#latest === this.#sent ? undefined : this.#latest;
    this.#sent = this.#latest;
    this.#queue = this.#queue.then(() => this.send(message)).catch(this.onError);
    return this.#queue;
  }

  /** Resolves once everything queued so far was sent (or failed). */
  settled(): Promise<void> {
    return this.#queue;
  }
}

/** Waits `ms`, or less when `until` resolves first. */
const sleep = (ms: number, until?: Promise<unknown>) => Promise.race([new Promise<void>((resolve) => setTimeout(resolve, ms)), until]).then(() => undefined);

/** Resolves when `signal` aborts (never without one). */
function aborted(signal?: AbortSignal): Promise<"stopped"> {
  return new Promise((resolve) => {
    if (signal === undefined) return;
    if (signal.aborted) resolve("stopped");
    else signal.addEventListener("abort", () => resolve("stopped"), { once: true });
  });
}

/** An error's message with its cause (Node's "fetch failed" says why only there). */
const messageOf = (err: unknown): string =>
  err instanceof Error ? (err.cause instanceof Error ? `${err.message} (${err.cause.message})` : err.message) : String(err);

/** A finish body without the worker (report() adds it): each variant of FinishBody on its own. */
type Finish = FinishBody extends infer B ? (B extends unknown ? Omit<B, "worker"> : never) : never;

/** Claims and runs jobs until `signal` aborts. */
export async function watch(options: WatchOptions): Promise<void> {
  const { url, adminToken } = options;
  const log = options.log ?? ((line: string) => console.log(line));
  const worker = options.worker ?? `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
  const stopped = aborted(options.signal);
  // The queue is across projects; a job's reports and its training go through its project.
  const api = adminClient({ url, adminToken });
  log(`trainer ${worker}: waiting for training jobs at ${url}`);
  let unreachable = false;
  while (!options.signal?.aborted) {
    let job: TrainingJobView | null = null;
    try {
      // A long poll: the Worker answers when a job arrives, or after wait_seconds with none.
      const claimed = await Promise.race([
        api<{ job: TrainingJobView | null }>("POST", "/training-jobs/claim", { worker, wait_seconds: options.waitSeconds ?? CLAIM_WAIT_SECONDS }),
        stopped,
      ]);
      if (claimed === "stopped") break;
      job = claimed.job;
      if (unreachable) log(`trainer: ${url} answers again`);
      unreachable = false;
    } catch (err) {
      // Once per outage: wrangler dev may still be starting, or restarting.
      if (!unreachable) log(`trainer: cannot claim jobs at ${url} (${messageOf(err)}); retrying`);
      unreachable = true;
    }
    if (job === null) await sleep(options.pollMs ?? 1_000, stopped);
    else await runJob(api, job, worker, stopped, { ...options, log });
  }
}

async function runJob(
  api: AdminCall,
  job: TrainingJobView,
  worker: string,
  stopped: Promise<"stopped">,
  options: WatchOptions & { log: (line: string) => void },
): Promise<void> {
  const { log } = options;
  const started = Date.now();
  const label = `job ${job.id} (${job.kind} ${job.owner_id}, project ${job.project_id})`;
  log(`\n${label}: claimed${job.attempts > 1 ? ` (attempt ${job.attempts}: its last trainer went quiet)` : ""}`);
  const report = (what: "progress" | "finish", body: { message?: string } | Finish) =>
    api("POST", projectApiPath(job.project_id, `/training-jobs/${job.id}/${what}`), { worker, ...body });
  const reporter = new ProgressReporter(
    async (message) => void (await report("progress", message === undefined ? {} : { message })),
    (err) => log(`${label}: progress not recorded: ${messageOf(err)}`),
  );
  const heartbeat = setInterval(() => void reporter.heartbeat(), options.heartbeatMs ?? HEARTBEAT_MS);

  const src = { url: options.url, adminToken: options.adminToken, project: job.project_id };
  const projectApi = projectClient(src);
  const work = (async (): Promise<PublishedModel> => {
    const targets = await resolveTargets(projectApi, job.owner_id);
    const published = await trainTargets(src, projectApi, targets, { publish: true, progress: (m) => reporter.update(m) });
    const model = published.find((m) => m.owner_id === job.owner_id);
    if (model === undefined) throw new Error("the run published no model");
    return model;
  })();

  let finish: Finish;
  let outcome: PublishedModel | "stopped" | undefined;
  try {
    outcome = await Promise.race([work, stopped]);
    finish =
      outcome === "stopped"
        ? { status: "failed", error: "the trainer was stopped before it finished: train again" }
        : { status: "succeeded", model_id: outcome.id };
  } catch (err) {
    finish = { status: "failed", error: messageOf(err).slice(0, 4000) };
  }
  clearInterval(heartbeat);
  await reporter.settled();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  try {
    // When stopping, wrangler dev may be going down too: don't wait long.
    const done = report("finish", finish);
    await (outcome === "stopped" ? Promise.race([done, sleep(2_000)]) : done);
    log(
      `${label}: ${typeof outcome === "object" ? `succeeded, version ${outcome.version}` : `failed: ${finish.status === "failed" ? finish.error : ""}`} in ${seconds} s`,
    );
  } catch (err) {
    log(`${label}: ${finish.status} in ${seconds} s, but the result was not recorded: ${messageOf(err)}`);
  }
}
