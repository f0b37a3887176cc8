// `npm run bench:train -- [--factors 1,4,16] [--limit ROWS]`: what training costs as the data grows. The
// Online Retail customers are replicated under new ids (×1, ×4, ×16) and fed, hour by
// hour as the archive reader hands them over, to the trainer's own jobs (the README's
// prediction and a recommendation that may repeat items); each factor runs in a fresh Node
// process so its peak memory (max RSS) is its own. Nothing is published. Data: Chen, Sain
// & Guo (2012), Online Retail, UCI ML Repository, https://doi.org/10.24432/C5BW33, CC BY 4.0.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { TailorEvent } from "../src/core/event";
import { hourOf } from "../src/core/archive";
import { invoiceEvents } from "../src/core/retail/events";
import type { AdminCall } from "../src/train/admin-client";
import type { ArchiveSpan, TrainingJob } from "../src/train/archive-reader";
import { preparePrediction } from "../src/train/run-prediction";
import { prepareRecommendation } from "../src/train/run-recommendation";
import { option } from "../scripts/lib/local.mjs";
import { ATTRIBUTION, DEFAULT_DATA, invoices } from "../scripts/lib/retail-load";

const argv = process.argv.slice(2);
const file = option(argv, "file", DEFAULT_DATA)!;
/** Rows of the file read (all by default; fewer for a quick try). */
const limit = option(argv, "limit", "Infinity")!;

interface Run {
  factor: number;
  events: number;
  users: number;
  read_seconds: number;
  fit_seconds: number;
  peak_mb: number;
}

async function child(factor: number): Promise<Run> {
  const noApi: AdminCall = () => Promise.reject(new Error("the benchmark publishes nothing"));
  const span: ArchiveSpan = {
    src: { url: "", adminToken: "", project: "bench" },
    hours: new Map(),
    first: Date.UTC(2010, 11, 1),
    last: Date.UTC(2011, 11, 10),
    publish: false,
  };
  const quiet = console.log;
  console.log = () => {};
  const jobs: TrainingJob[] = [
    await preparePrediction(
      noApi,
      span,
      { id: "prd_bench", name: "Order Completed within 30 days", definition: { goal: { event: { type: "Order Completed" } }, horizon_days: 30 } },
      ["Product Purchased", "Order Completed", "Product Returned", "Order Cancelled"],
    ),
    prepareRecommendation(noApi, span, {
      id: "rec_bench",
      name: "Next purchases",
      definition: { item: { event: { type: "Product Purchased" }, property: "product_id" }, exclude: { interacted: false, converted: false } },
    }),
  ];
  const started = performance.now();
  let hour = "";
  let batch: TailorEvent[] = [];
  let events = 0;
  const users = new Set<string>();
  const flush = () => {
    batch.sort((a, b) => a.time - b.time);
    for (const job of jobs) job.add(batch);
    events += batch.length;
    batch = [];
  };
  for await (const lines of invoices(file, Number(limit))) {
    const wire = invoiceEvents(lines);
    if (wire.length === 0) continue;
    if (hourOf(wire[0]!.time) !== hour) {
      flush();
      hour = hourOf(wire[0]!.time);
    }
    for (let copy = 0; copy < factor; copy++) {
      for (const e of wire) {
        const user_id = copy === 0 ? e.user_id : `${e.user_id}~${copy}`;
        if (copy === 0) users.add(e.user_id);
        batch.push({
          uuid: `${copy}:${e.insert_id}`,
          insert_id: e.insert_id,
          event_type: e.event_type,
          user_id,
          time: e.time,
          received_at: e.time,
          event_properties: e.event_properties,
          user_properties: e.user_properties ?? {},
        });
      }
    }
  }
  flush();
  const read = performance.now();
  for (const job of jobs) await job.finish();
  const fit = performance.now();
  console.log = quiet;
  return {
    factor,
    events,
    users: users.size * factor,
    read_seconds: (read - started) / 1000,
    fit_seconds: (fit - read) / 1000,
    peak_mb: process.resourceUsage().maxRSS / 1024,
  };
}

if (argv.includes("--child")) {
  process.stdout.write(`${JSON.stringify(await child(Number(option(argv, "factor", "1"))))}\n`);
} else {
  const factors = option(argv, "factors", "1,4,16")!.split(",").map(Number);
  const runs: Run[] = [];
  for (const factor of factors) {
    const out = spawnSync(
      process.execPath,
      ["--import", "tsx", fileURLToPath(import.meta.url), "--child", "--factor", String(factor), "--file", file, "--limit", limit],
      { encoding: "utf8", maxBuffer: 1 << 26, stdio: ["ignore", "pipe", "inherit"] },
    );
    if (out.status !== 0) throw new Error(`factor ${factor} failed (exit ${out.status})`);
    const run = JSON.parse(out.stdout.trim().split("\n").at(-1)!) as Run;
    runs.push(run);
    console.error(
      `×${factor}: ${run.events.toLocaleString()} events, ${run.read_seconds.toFixed(1)} s reading, ${run.fit_seconds.toFixed(1)} s fitting, ${run.peak_mb.toFixed(0)} MB peak`,
    );
  }
  console.log("| data | customers | events | read + features (s) | fit, validate, export (s) | total (s) | peak memory (MB) |\n|---|---|---|---|---|---|---|");
  for (const r of runs) {
    console.log(
      `| ×${r.factor} | ${r.users.toLocaleString()} | ${r.events.toLocaleString()} | ${r.read_seconds.toFixed(1)} | ${r.fit_seconds.toFixed(1)} | ${(r.read_seconds + r.fit_seconds).toFixed(1)} | ${r.peak_mb.toFixed(0)} |`,
    );
  }
  console.log(ATTRIBUTION);
}
