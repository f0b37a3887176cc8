// bench/edge-render: the latency personalization rendered at the edge adds to a site's
// pages. One local server (as npm start) fronts a Node origin (EDGE_ORIGIN); in one run,
// one client at a time: a ~20 kB product page asked of the origin directly, passed
// through Tailor untouched (asked for without Accept: text/html), and rendered for an
// anonymous visitor (popular items) and for a known one (its profile read: its
// recommendations, cohort content and a computed value filled in).
//   npx tsx bench/edge-render.ts [--seconds 5] [--json bench/results/edge-render.json]
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { cpus } from "node:os";
import { dirname } from "node:path";
import { option } from "../scripts/lib/local.mjs";
import { startLocalWorker } from "../scripts/lib/worker.mjs";
import { recommenderOnnx } from "../src/train/onnx/recommender";
import { drive, fmt, table } from "./lib.mjs";

const argv = process.argv.slice(2);
const seconds = Number(option(argv, "seconds", "5"));
const jsonFile: string = option(argv, "json", "bench/results/edge-render.json") ?? "bench/results/edge-render.json";
const USERS = 200;
const ids = { rec: "", cohort: "", computation: "" };
// A product page of ~20 kB, its marked elements among ordinary markup.
const filler = Array.from({ length: 200 }, (_, i) => `<p class="copy">Paragraph ${i} of the product description, long enough to be a real page.</p>`).join(
  "\n",
);
const page = () => `<!doctype html><html><head><title>Shop</title><link rel="stylesheet" href="/style.css"></head><body>
<h1>Product</h1>${filler}
<ul data-tailor-recommendations="${ids.rec}" data-tailor-template='<li><a href="/p/{{item}}">{{item}}</a></li>' data-tailor-limit="4"><li>Bestsellers</li></ul>
<div data-tailor-cohort="${ids.cohort}">Welcome back</div><div data-tailor-not-cohort="${ids.cohort}">10% off your first order</div>
<span data-tailor-value="${ids.computation}">–</span></body></html>`;

const origin = createServer((req, res) => {
  if (req.url === "/style.css") res.writeHead(200, { "content-type": "text/css" }).end("body{font:16px sans-serif}");
  else res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(page());
});
await new Promise<void>((r) => origin.listen(0, "127.0.0.1", () => r()));
const address = origin.address();
const originUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
const worker = await startLocalWorker({ quiet: process.env.BENCH_VERBOSE !== "1", vars: { EDGE_ORIGIN: originUrl, EDGE_PROJECT: "bench" } });
try {
  const { api_key: apiKey } = await worker.createProject("bench");
  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await worker.admin<{ id: string }>(method, `/projects/bench${path}`, body);
    if (res.status >= 300) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.json)}`);
    return res.json;
  };
  ids.computation = (
    await admin("POST", "/computations", { name: "Spent", definition: { event: { type: "Order Completed" }, aggregate: "sum", property: "revenue" } })
  ).id;
  ids.cohort = (
    await admin("POST", "/cohorts", {
      name: "Regulars",
      definition: { type: "behavioral", match: { performed: { event: { type: "Order Completed" }, op: ">=", value: 2 } } },
    })
  ).id;
  ids.rec = (
    await admin("POST", "/recommendations", {
      name: "Next products",
      definition: {
        item: { event: { type: "Product Viewed" }, property: "product_id" },
        count: 10,
        control: { percent: 0, strategy: "popular" },
        fallback: "popular",
      },
    })
  ).id;
  const items = Array.from({ length: 50 }, (_, i) => ({ id: `p-${i}`, props: {} }));
  const embeddings = Array.from({ length: 50 * 4 }, (_, i) => Math.sin(i));
  const model = recommenderOnnx({ embeddings, rank: 4, bias: Array(50).fill(0) });
  await admin("POST", "/models", {
    owner_kind: "recommendation",
    owner_id: ids.rec,
    model: Buffer.from(model).toString("base64"),
    metadata: { items, popular: items.map((_, i) => i), metrics: {} },
  });
  await admin("PUT", "/settings", { personalize: { cohorts: [ids.cohort], computations: [ids.computation], recommendations: [ids.rec], origins: [] } });
  const events = [];
  for (let u = 0; u < USERS; u++) {
    for (let j = 0; j < 5; j++)
      events.push({ user_id: `shopper-${u}`, event_type: "Product Viewed", event_properties: { product_id: `p-${(u * 7 + j) % 50}` } });
    for (let j = 0; j < (u % 3) + 1; j++) events.push({ user_id: `shopper-${u}`, event_type: "Order Completed", event_properties: { revenue: 10 + j } });
  }
  for (let i = 0; i < events.length; i += 1000) {
    const res = await fetch(`${worker.url}/batch`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ api_key: apiKey, events: events.slice(i, i + 1000) }),
    });
    if (!res.ok) throw new Error(`load failed: ${res.status} ${await res.text()}`);
  }
  const ampCookie = (userId: string) =>
    `AMP_${apiKey.slice(0, 10)}=${encodeURIComponent(Buffer.from(encodeURIComponent(JSON.stringify({ userId, deviceId: `d-${userId}` }))).toString("base64"))}`;
  const html = { accept: "text/html" };
  let n = 0;
  const cases: Record<string, () => { url: string; init?: RequestInit }> = {
    "the origin, asked directly (page)": () => ({ url: `${originUrl}/product`, init: { headers: html } }),
    // The same page asked for by a non-browser (no Accept: text/html): passed through untouched.
    "through Tailor, the page passed untouched": () => ({ url: `${worker.url}/product` }),
    "through Tailor, rendered: anonymous visitor": () => ({ url: `${worker.url}/product`, init: { headers: html } }),
    "through Tailor, rendered: known visitor": () => ({
      url: `${worker.url}/product`,
      init: { headers: { ...html, cookie: ampCookie(`shopper-${n++ % USERS}`) } },
    }),
  };
  // Numbers only for pages that were rendered: a known visitor gets the model's list, an anonymous one the popular items.
  for (const [name, source] of [
    ["through Tailor, rendered: known visitor", "model"],
    ["through Tailor, rendered: anonymous visitor", "popular_fallback"],
  ] as const) {
    const { url, init } = cases[name]!();
    const body = await (await fetch(url, init)).text();
    if (!body.includes(`data-tailor-source="${source}"`)) throw new Error(`${name}: the page was not rendered (no data-tailor-source="${source}")`);
  }
  await drive({ seconds: 2, warmupSeconds: 0, concurrency: 2, makeRequest: cases["through Tailor, rendered: known visitor"]! });
  const results: Record<string, Awaited<ReturnType<typeof drive>>> = {};
  for (const [name, makeRequest] of Object.entries(cases)) results[name] = await drive({ seconds, concurrency: 1, makeRequest });
  const untouched = results["through Tailor, the page passed untouched"]!;
  const rows = Object.entries(results).map(([name, r]) => [
    name,
    fmt(r.p50, 2),
    fmt(r.p99, 2),
    name.includes("rendered") ? `+${fmt(r.p50 - untouched.p50, 2)}` : "",
    String(r.errors),
  ]);
  console.log(
    `\nbench/edge-render — ${cpus().length} cores, the local server (workerd via Miniflare, as npm start) fronting a Node origin, ${USERS} profiles; one client\n`,
  );
  console.log(table(["case", "p50 ms", "p99 ms", "added to passing through (p50 ms)", "errors"], rows));
  for (const r of Object.values(results)) if (r.firstError) console.log(`first error: ${r.firstError}`);
  mkdirSync(dirname(jsonFile), { recursive: true });
  writeFileSync(jsonFile, JSON.stringify({ date: new Date().toISOString(), seconds, results }, null, 2));
} finally {
  await worker.stop();
  origin.close();
}
