// `npm run load -- <file.csv.gz> [--url URL] [--api-key KEY] [--shift-to-now] [--limit ROWS] [--concurrency N] [--bulk]`
// Sends the Online Retail transactions to a running Tailor through the public ingestion
// API (/batch), with progress and a summary: in time order across customers (as a live
// site sends them), or with --bulk as a historical import, each customer's history at once. Data: Chen, Sain & Guo (2012), Online Retail,
// UCI Machine Learning Repository, https://doi.org/10.24432/C5BW33, CC BY 4.0.
import { option, readLocal } from "./lib/local.mjs";
import { ATTRIBUTION, DEFAULT_DATA, lastTime, loadRetail } from "./lib/retail-load";

const argv = process.argv.slice(2);
const file = argv.find((a, i) => !a.startsWith("--") && !argv[i - 1]?.startsWith("--")) ?? DEFAULT_DATA;
const local = readLocal();
const url = option(argv, "url", local?.url ?? "http://127.0.0.1:8787")!;
const apiKey = option(argv, "api-key", local?.api_key);
const limit = Number(option(argv, "limit", "Infinity"));
const bulk = argv.includes("--bulk");
const concurrency = Number(option(argv, "concurrency", bulk ? "8" : "4"));
const shift = argv.includes("--shift-to-now");
if (!apiKey) {
  console.error("No api key: run `npm start` first (it writes .tailor/local.json) or pass --api-key");
  process.exit(2);
}

const shiftMs = shift ? Date.now() - (await lastTime(file, limit)) : 0;
const s = await loadRetail({ file, url, apiKey, limit, concurrency, shiftMs, bulk });
console.log(
  `Loaded ${s.sent.toLocaleString()} events for ${s.customers.toLocaleString()} customers from ${s.invoices.toLocaleString()} invoices in ${s.seconds.toFixed(1)} s (${Math.round(s.sent / s.seconds).toLocaleString()} events/s) into ${url}`,
);
for (const [type, n] of Object.entries(s.counts).sort()) console.log(`  ${type.padEnd(18)} ${n.toLocaleString()}`);
console.log(`  rows without a customer (skipped): ${s.skippedRows.toLocaleString()}`);
if (s.sent > 0) console.log(`  event times: ${new Date(s.first).toISOString()} … ${new Date(s.last).toISOString()}${shift ? " (shifted to end now)" : ""}`);
console.log(ATTRIBUTION);
