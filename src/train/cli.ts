// `npm run train -- <prediction or recommendation id|all> [--url URL] [--admin-token T] [--project P] [--no-publish]`
// Reads the event archive through the Worker, trains, evaluates on a time-based holdout
// against a baseline, exports ONNX (checked with onnxruntime-web) and publishes it.
// `npm run train -- --watch [--url URL] [--admin-token T] [--poll SECONDS]` instead trains
// the jobs the admin UI's Train button queues, as they come (`npm start` runs it).
import { parseArgs } from "node:util";
import { projectClient } from "./admin-client";
import type { ArchiveSource } from "./archive-reader";
import { localServer } from "./local-server";
import { resolveTargets, trainTargets } from "./run";
import { watch } from "./worker-loop";

const USAGE = `usage: npm run train -- <prediction or recommendation id|all> [--url URL] [--admin-token TOKEN] [--project P] [--no-publish]
       (--project defaults to the one npm start serves)
       npm run train -- --watch [--url URL] [--admin-token TOKEN] [--poll SECONDS]`;

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: "string" },
    "admin-token": { type: "string" },
    project: { type: "string" },
    poll: { type: "string" },
    watch: { type: "boolean" },
    "no-publish": { type: "boolean" },
  },
});
const target = positionals[0];
const local = localServer();
const url = flags.url ?? local?.url ?? "http://127.0.0.1:8787";
const adminToken = flags["admin-token"] ?? process.env.TAILOR_ADMIN_TOKEN ?? local?.admin_token;

if (flags.watch) {
  const poll = Number(flags.poll ?? "1");
  if (!adminToken || target !== undefined || !(poll > 0)) {
    console.error(USAGE);
    process.exit(2);
  }
  const stop = new AbortController();
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => stop.abort());
  await watch({ url, adminToken, pollMs: poll * 1000, signal: stop.signal });
  // A training cut short by the signal may still be computing: don't wait for it.
  process.exit(0);
}

const project = flags.project ?? local?.project;
if (!target || !adminToken || !project) {
  console.error(USAGE);
  process.exit(2);
}
const src: ArchiveSource = { url, adminToken, project };
if (target !== "all" && !/^(prd|rec)_/.test(target)) {
  console.error(`unknown id ${target} (expected prd_… or rec_…)`);
  process.exit(2);
}
const api = projectClient(src);
const targets = await resolveTargets(api, target);
if (targets.predictions.length + targets.recommendations.length === 0) {
  console.error("nothing to train: define a prediction or a recommendation first");
  process.exit(2);
}
const started = Date.now();
await trainTargets(src, api, targets, { publish: !flags["no-publish"] });
console.log(`\nDone in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
