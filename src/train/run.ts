// One training run, as the CLI and the job watcher both start it: the definitions to
// train, one read of the archive that feeds them all, then each one's fit, check and publish.
import type { AdminCall, DefinitionRow, PublishedModel } from "./admin-client";
import { listArchive, readInto, readObject, type ArchiveSource, type ArchiveSpan, type TrainingJob } from "./archive-reader";
import { preparePrediction } from "./run-prediction";
import { prepareRecommendation } from "./run-recommendation";

export interface Targets {
  predictions: DefinitionRow[];
  recommendations: DefinitionRow[];
}

/** `all`, or one `prd_…` / `rec_…` id, as the project's definitions (an unknown id is the API's 404). */
export async function resolveTargets(api: AdminCall, target: string): Promise<Targets> {
  const list = async (kind: "predictions" | "recommendations") => (await api<Record<string, DefinitionRow[]>>("GET", `/${kind}`))[kind]!;
  const one = (kind: "predictions" | "recommendations") => api<DefinitionRow>("GET", `/${kind}/${encodeURIComponent(target)}`);
  if (target === "all") return { predictions: await list("predictions"), recommendations: await list("recommendations") };
  return {
    predictions: target.startsWith("prd_") ? [await one("predictions")] : [],
    recommendations: target.startsWith("rec_") ? [await one("recommendations")] : [],
  };
}

export interface RunOptions {
  publish: boolean;
  /** Short lines on how far the run got (the job watcher reports them to the job). */
  progress?: (message: string) => void;
}

/** Trains every target from one pass over the project's archive; returns the models it published. */
export async function trainTargets(src: ArchiveSource, api: AdminCall, targets: Targets, options: RunOptions): Promise<PublishedModel[]> {
  const say = options.progress ?? (() => {});
  say("listing the event archive");
  const hours = await listArchive(src);
  if (hours.size === 0) throw new Error("the archive is empty: load some events first (npm run load)");
  const hourKeys = [...hours.keys()];
  const span: ArchiveSpan = {
    src,
    hours,
    first: Date.parse(`${hourKeys[0]}:00:00Z`),
    last: Date.parse(`${hourKeys.at(-1)}:00:00Z`) + 3_600_000,
    publish: options.publish,
  };

  const jobs: { name: string; job: TrainingJob }[] = [];
  if (targets.predictions.length > 0) {
    // The most common event types of the last week become activity features.
    const recent = hourKeys
      .slice(-168)
      .flatMap((h) => hours.get(h)!)
      .slice(-300);
    const typeCounts = new Map<string, number>();
    for (const events of await Promise.all(recent.map((k) => readObject(src, k))))
      for (const e of events) typeCounts.set(e.event_type, (typeCounts.get(e.event_type) ?? 0) + 1);
    const commonTypes = [...typeCounts].sort((a, b) => b[1] - a[1]).map(([t]) => t);
    for (const row of targets.predictions) jobs.push({ name: row.name, job: await preparePrediction(api, span, row, commonTypes) });
  }
  for (const row of targets.recommendations) jobs.push({ name: row.name, job: prepareRecommendation(api, span, row) });
  // One read of the archive feeds every definition being trained.
  await readInto(
    span,
    jobs.map((j) => j.job),
    (done, total, events) =>
      say(`reading the archive: hour ${done.toLocaleString("en-US")} of ${total.toLocaleString("en-US")}, ${events.toLocaleString("en-US")} events`),
  );
  const published: PublishedModel[] = [];
  for (const { name, job } of jobs) {
    say(`fitting, checking${options.publish ? " and publishing" : ""} ${name}`);
    const model = await job.finish();
    if (model !== null) published.push(model);
  }
  return published;
}
