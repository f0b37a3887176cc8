// `npm run eval -- [--cutoffs 2011-09-10,2011-10-10,2011-11-09] [--horizon-days 30] [--customers N] [--json FILE]`
// `npm run eval -- --report FILE` prints the tables of a run saved with --json again.
// Quality through the serving path, as a customer meets it, on several time cutoffs (a
// backtest). For each cutoff: a fresh Tailor (the local server, local state), the history
// before the cutoff loaded through /batch with the cutoff shifted to now, a prediction and
// two recommendations defined, the Node trainer run as `npm run train -- all`, then every
// customer's propensity and lists read from /v1/userprofile and scored against what the
// customer really did in the next horizon (read from the raw file). The simple rules are
// computed on the same customers and days. Data: Chen, Sain & Guo (2012), Online Retail,
// UCI ML Repository, https://doi.org/10.24432/C5BW33, CC BY 4.0.
import { createWriteStream, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { invoiceEvents } from "../src/core/retail/events";
import { mulberry32 } from "../src/core/hash";
import { ItemKnn, popularFor, popularItems, repeatBuy, rfm, rfmLogistic } from "../src/train/eval/baselines";
import { listQuality, propensityQuality, type ListCase, type PropensityQuality } from "../src/train/eval/report";
import { boughtBefore, boughtWithin, orderedWithin, RetailTruth } from "../src/train/eval/retail-truth";
import type { TopNMetrics } from "../src/train/recs/evaluate";
import { option, trainer } from "../scripts/lib/local.mjs";
import { startLocalWorker } from "../scripts/lib/worker.mjs";
import { ATTRIBUTION, DEFAULT_DATA, invoices, loadRetail } from "../scripts/lib/retail-load";
import { request } from "./lib.mjs";

const DAY = 86_400_000;
const argv = process.argv.slice(2);
const file = option(argv, "file", DEFAULT_DATA)!;
const horizonDays = Number(option(argv, "horizon-days", "30"));
const horizon = horizonDays * DAY;
const cutoffs = option(argv, "cutoffs", "2011-09-10,2011-10-10,2011-11-09")!
  .split(",")
  .map((d) => Date.parse(`${d}T00:00:00Z`));
const sampleSize = Number(option(argv, "customers", "Infinity"));
const jsonOut = option(argv, "json", undefined);
const N = 10;

const report = option(argv, "report", undefined);
const truth = new RetailTruth();
if (report === undefined) for await (const lines of invoices(file)) truth.add(invoiceEvents(lines));
truth.finish();
// A fixed random sample of customers (all of them by default): the same on every cutoff.
const rng = mulberry32(7);
const sample = new Set(
  [...truth.customers.keys()]
    .map((id) => [id, rng()] as const)
    .sort((a, b) => a[1] - b[1])
    .slice(0, sampleSize)
    .map(([id]) => id),
);

interface CutoffResult {
  cutoff: string;
  customers: number;
  positive_rate: number;
  load_seconds: number;
  train_seconds: number;
  trainer_holdout: { auc: number; log_loss: number } | null;
  propensity: Record<string, PropensityQuality>;
  repeats: Record<string, TopNMetrics>;
  new_items: Record<string, TopNMetrics>;
}

const PREDICTION = { goal: { event: { type: "Order Completed" } }, horizon_days: horizonDays, value_property: "revenue" };
const ITEM = { event: { type: "Product Purchased" }, property: "product_id" };
const REPEATS = { item: ITEM, count: N, exclude: { interacted: false, converted: false } };
const NEW_ITEMS = { item: ITEM, count: N };

type Answer = { propensity: number | null; repeats: string[]; newItems: string[] };

async function servedAnswers(
  url: string,
  secret: string,
  ids: { prediction: string; repeats: string; newItems: string },
  customers: string[],
): Promise<Map<string, Answer>> {
  const out = new Map<string, Answer>();
  let next = 0;
  const client = async () => {
    while (next < customers.length) {
      const id = customers[next++]!;
      const path = `/v1/userprofile?user_id=${encodeURIComponent(id)}&get_propensity=true&prediction_id=${ids.prediction}&rec_id=${ids.repeats},${ids.newItems}`;
      for (let attempt = 0; ; attempt++) {
        const res = await request(`${url}${path}`, { headers: { authorization: `Api-Key ${secret}` } });
        if (res.status === 200) {
          const data = JSON.parse(res.body).userData as { propensity: number | null; recommendations: { rec_id: string; items: string[] }[] };
          const list = (rec: string) => data.recommendations.find((r) => r.rec_id === rec)?.items ?? [];
          out.set(id, { propensity: data.propensity, repeats: list(ids.repeats), newItems: list(ids.newItems) });
          break;
        }
        if (attempt >= 5 || (res.status !== 429 && res.status < 500)) throw new Error(`${path}: ${res.status} ${res.body.slice(0, 300)}`);
        await new Promise((r) => setTimeout(r, 1000 * 2 ** attempt));
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, client));
  return out;
}

/** Waits until every profile has flushed its events to the archive (the object count stops moving). */
async function archiveSettled(server: Awaited<ReturnType<typeof startLocalWorker>>, project: string): Promise<number> {
  const count = async () => {
    let n = 0;
    let cursor: string | null = null;
    do {
      const page: { json: { objects: unknown[]; cursor: string | null } } = await server.admin(
        "GET",
        `/projects/${project}/archive${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ""}`,
      );
      n += page.json.objects.length;
      cursor = page.json.cursor;
    } while (cursor !== null);
    return n;
  };
  await new Promise((r) => setTimeout(r, 35_000)); // ARCHIVE_FLUSH_SECONDS (30) and a margin
  let before = await count();
  for (;;) {
    await new Promise((r) => setTimeout(r, 5_000));
    const now = await count();
    if (now === before) return now;
    before = now;
  }
}

async function evaluateCutoff(cutoff: number): Promise<CutoffResult> {
  const day = new Date(cutoff).toISOString().slice(0, 10);
  console.log(`\n== cutoff ${day}: history before it is loaded with the cutoff shifted to now; the next ${horizonDays} days are scored`);
  const server = await startLocalWorker();
  try {
    const keys = await server.createProject("eval");
    const define = async (kind: string, name: string, definition: object) => {
      const res = await server.admin("POST", `/projects/eval/${kind}`, { name, definition });
      if (res.status !== 201) throw new Error(`defining ${name}: ${res.status} ${JSON.stringify(res.json)}`);
      return (res.json as { id: string }).id;
    };
    const ids = {
      prediction: await define("predictions", `Order Completed within ${horizonDays} days`, PREDICTION),
      repeats: await define("recommendations", "Next purchases (repeats allowed)", REPEATS),
      newItems: await define("recommendations", "New products for them", NEW_ITEMS),
    };
    const load = await loadRetail({
      file,
      url: server.url,
      apiKey: keys.api_key,
      until: cutoff,
      shiftMs: Date.now() - cutoff,
      customers: (id) => sample.has(id),
    });
    console.log(`  loaded ${load.sent.toLocaleString()} events of ${load.customers.toLocaleString()} customers in ${load.seconds.toFixed(0)} s`);
    console.log(`  archive settled: ${(await archiveSettled(server, "eval")).toLocaleString()} objects`);

    const logPath = join(tmpdir(), `tailor-eval-train-${day}.log`);
    const log = createWriteStream(logPath);
    const started = Date.now();
    const run = trainer(["all", "--url", server.url, "--admin-token", server.adminToken, "--project", "eval"], { stdio: ["ignore", "pipe", "pipe"] });
    run.child.stdout!.pipe(log);
    run.child.stderr!.pipe(log);
    if ((await run.exited) !== 0) throw new Error(`the trainer failed: see ${logPath}`);
    const trainSeconds = (Date.now() - started) / 1000;
    console.log(`  trained in ${trainSeconds.toFixed(0)} s (trainer output: ${logPath})`);
    const models = (await server.admin("GET", `/projects/eval/models?owner_id=${ids.prediction}`)).json as {
      models: { active: boolean; metrics: { holdout?: { model: { auc: number; log_loss: number } } } }[];
    };
    const holdout = models.models.find((m) => m.active)?.metrics.holdout?.model ?? null;

    const customers = truth.known(cutoff).filter((id) => sample.has(id));
    const readStarted = Date.now();
    const served = await servedAnswers(server.url, keys.secret_key, ids, customers);
    console.log(`  read ${customers.length.toLocaleString()} profiles in ${((Date.now() - readStarted) / 1000).toFixed(0)} s`);
    return {
      ...score(cutoff, customers, served),
      load_seconds: load.seconds,
      train_seconds: trainSeconds,
      trainer_holdout: holdout && { auc: holdout.auc, log_loss: holdout.log_loss },
    };
  } finally {
    await server.stop();
  }
}

function score(cutoff: number, customers: string[], served: Map<string, Answer>): Omit<CutoffResult, "load_seconds" | "train_seconds" | "trainer_holdout"> {
  const c = (id: string) => truth.customers.get(id)!;
  const known = new Map(customers.map((id) => [id, c(id)]));
  const labels = customers.map((id) => orderedWithin(c(id), cutoff, horizon));
  const lr = rfmLogistic(known, cutoff, horizon);
  const r = customers.map((id) => rfm(c(id), cutoff));
  const propensity: Record<string, PropensityQuality> = {
    "Tailor (served)": propensityQuality(
      customers.map((id) => served.get(id)!.propensity ?? 0),
      labels,
      true,
    ),
    "RFM logistic regression": propensityQuality(
      customers.map((id) => lr.get(id)!),
      labels,
      true,
    ),
    "frequency (orders)": propensityQuality(
      r.map((x) => x.frequency),
      labels,
      false,
    ),
    "recency (−days)": propensityQuality(
      r.map((x) => -x.recency),
      labels,
      false,
    ),
    "monetary (revenue)": propensityQuality(
      r.map((x) => x.monetary),
      labels,
      false,
    ),
  };

  const popular = popularItems(known.values(), cutoff);
  const catalog = new Set([...known.values()].flatMap((x) => x.lines.filter((l) => l.time < cutoff).map((l) => l.item))).size;
  const knn = new ItemKnn(known.values(), cutoff);
  const buyers = customers.filter((id) => boughtWithin(c(id), cutoff, horizon).size > 0);
  const lists = (newOnly: boolean, recommenders: Record<string, (id: string) => readonly string[]>) => {
    const cases = buyers.flatMap((id) => {
      const next = boughtWithin(c(id), cutoff, horizon);
      const before = boughtBefore(c(id), cutoff);
      const relevant = newOnly ? new Set([...next].filter((i) => !before.has(i))) : next;
      return relevant.size === 0 ? [] : [{ id, relevant }];
    });
    const out: Record<string, TopNMetrics> = {};
    for (const [name, recommend] of Object.entries(recommenders)) {
      out[name] = listQuality(
        cases.map(({ id, relevant }): ListCase => ({ recommended: recommend(id), relevant })),
        catalog,
        N,
      );
    }
    return out;
  };
  const repeats = lists(false, {
    "Tailor (served)": (id) => served.get(id)!.repeats,
    "repeat-buy (own most bought)": (id) => repeatBuy(c(id), cutoff, popular, N),
    "most popular, last 30 days": (id) => popularFor(c(id), cutoff, popular, N, false),
  });
  const newItems = lists(true, {
    "Tailor (served)": (id) => served.get(id)!.newItems,
    "item-kNN (cosine, co-purchases)": (id) => knn.recommend(c(id), cutoff, popular, N, true),
    "most popular, last 30 days": (id) => popularFor(c(id), cutoff, popular, N, true),
  });
  return {
    cutoff: new Date(cutoff).toISOString().slice(0, 10),
    customers: customers.length,
    positive_rate: labels.reduce<number>((a, b) => a + b, 0) / labels.length,
    propensity,
    repeats,
    new_items: newItems,
  };
}

const f = (x: number | null | undefined, d = 3) => (x === null || x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(d));

function print(results: CutoffResult[]): void {
  const head = `| | ${results.map((r) => r.cutoff).join(" | ")} |\n|---|${results.map(() => "---").join("|")}|`;
  console.log(
    `\n### Propensity: "Order Completed within ${horizonDays} days" (AUC / log loss / precision at top 10 % / worst decile |predicted − observed|)\n${head}`,
  );
  for (const name of Object.keys(results[0]!.propensity)) {
    console.log(
      `| ${name} | ${results
        .map((r) => {
          const q = r.propensity[name]!;
          return `${f(q.auc)} / ${f(q.log_loss)} / ${f(q.precision_at_10pct)} / ${f(q.worst_decile_gap)}`;
        })
        .join(" | ")} |`,
    );
  }
  console.log(
    `| trainer's own holdout (AUC / log loss) | ${results.map((r) => (r.trainer_holdout ? `${f(r.trainer_holdout.auc)} / ${f(r.trainer_holdout.log_loss)}` : "–")).join(" | ")} |`,
  );
  for (const [title, key] of [
    ["Recommendations, repeats allowed", "repeats"],
    ["Recommendations, new items only", "new_items"],
  ] as const) {
    console.log(`\n### ${title} (HR@${N} / NDCG@${N} / coverage; users)\n${head}`);
    for (const name of Object.keys(results[0]![key])) {
      console.log(
        `| ${name} | ${results
          .map((r) => {
            const q = r[key][name]!;
            return `${f(q.hit_rate)} / ${f(q.ndcg)} / ${f(q.coverage)}`;
          })
          .join(" | ")} |`,
      );
    }
    console.log(`| users scored | ${results.map((r) => Object.values(r[key])[0]!.users.toLocaleString()).join(" | ")} |`);
  }
  console.log(
    `\n### Served propensity by decile of prediction (predicted → observed)\n| decile | ${results.map((r) => r.cutoff).join(" | ")} |\n|---|${results.map(() => "---").join("|")}|`,
  );
  for (let d = 0; d < 10; d++) {
    console.log(
      `| ${d + 1} | ${results
        .map((r) => {
          const b = r.propensity["Tailor (served)"]!.calibration?.[d];
          return b ? `${f(b.predicted)} → ${f(b.actual)}` : "–";
        })
        .join(" | ")} |`,
    );
  }
  console.log(
    `\ncustomers per cutoff: ${results.map((r) => `${r.cutoff} ${r.customers.toLocaleString()} (${(r.positive_rate * 100).toFixed(1)} % ordered)`).join(", ")}`,
  );
  console.log(`load / train seconds: ${results.map((r) => `${r.cutoff} ${r.load_seconds.toFixed(0)} / ${r.train_seconds.toFixed(0)}`).join(", ")}`);
  console.log(ATTRIBUTION);
}

if (report !== undefined) {
  print((JSON.parse(readFileSync(report, "utf8")) as { results: CutoffResult[] }).results);
} else {
  const results: CutoffResult[] = [];
  for (const cutoff of cutoffs) results.push(await evaluateCutoff(cutoff));
  print(results);
  if (jsonOut !== undefined) writeFileSync(jsonOut, JSON.stringify({ horizon_days: horizonDays, results }, null, 2) + "\n");
}
