// `npm run train -- <prediction or recommendation id|all> [--url URL] [--admin-token T] [--project P] [--no-publish]`
// Reads the event archive through the Worker, trains, evaluates on a time-based holdout
// against a baseline, exports ONNX (checked with onnxruntime-web) and publishes it.
import { option, readLocal } from "../../scripts/lib/local.mjs";
import { adminClient, type DefinitionRow } from "./admin-client";
import { listArchive, readInto, readObject, type ArchiveSource, type ArchiveSpan, type TrainingJob } from "./archive-reader";
import { preparePrediction } from "./run-prediction";
import { prepareRecommendation } from "./run-recommendation";

const argv = process.argv.slice(2);
const target = argv.find((a, i) => !a.startsWith("--") && !argv[i - 1]?.match(/^--(url|admin-token|project)$/));
const local = readLocal();
const src: ArchiveSource = {
  url: option(argv, "url", local?.url ?? "http://127.0.0.1:8787")!,
  adminToken: option(argv, "admin-token", local?.admin_token)!,
  project: option(argv, "project", local?.project ?? "default")!,
};
if (!target || !src.adminToken) {
  console.error("usage: npm run train -- <prediction or recommendation id|all> [--url URL] [--admin-token TOKEN] [--project P] [--no-publish]");
  process.exit(2);
}
const api = adminClient(src);
const q = `project=${encodeURIComponent(src.project)}`;

const list = async (kind: "predictions" | "recommendations") => (await api<Record<string, DefinitionRow[]>>("GET", `/${kind}?${q}`))[kind]!;
const predictions = target === "all" ? await list("predictions") : target.startsWith("prd_") ? [await api<DefinitionRow>("GET", `/predictions/${target}?${q}`)] : [];
const recommendations =
  target === "all" ? await list("recommendations") : target.startsWith("rec_") ? [await api<DefinitionRow>("GET", `/recommendations/${target}?${q}`)] : [];
if (predictions.length + recommendations.length === 0) {
  console.error(target === "all" ? "nothing to train: define a prediction or a recommendation first" : `unknown id ${target} (expected prd_… or rec_…)`);
  process.exit(2);
}

const started = Date.now();
const hours = await listArchive(src);
if (hours.size === 0) throw new Error("the archive is empty: load some events first (npm run load)");
const hourKeys = [...hours.keys()];
const span: ArchiveSpan = {
  src,
  hours,
  first: Date.parse(`${hourKeys[0]}:00:00Z`),
  last: Date.parse(`${hourKeys.at(-1)}:00:00Z`) + 3_600_000,
  q,
  publish: !argv.includes("--no-publish"),
};

const jobs: TrainingJob[] = [];
if (predictions.length > 0) {
  // The most common event types of the last week become activity features.
  const recent = hourKeys.slice(-168).flatMap((h) => hours.get(h)!).slice(-300);
  const typeCounts = new Map<string, number>();
  for (const events of await Promise.all(recent.map((k) => readObject(src, k)))) for (const e of events) typeCounts.set(e.event_type, (typeCounts.get(e.event_type) ?? 0) + 1);
  const commonTypes = [...typeCounts].sort((a, b) => b[1] - a[1]).map(([t]) => t);
  for (const row of predictions) jobs.push(await preparePrediction(api, span, row, commonTypes));
}
for (const row of recommendations) jobs.push(prepareRecommendation(api, span, row));
// One read of the archive feeds every definition being trained.
await readInto(span, jobs);
for (const job of jobs) await job.finish();
console.log(`\nDone in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
