// `npm run load -- <file.csv.gz> [--url URL] [--api-key KEY] [--shift-to-now] [--limit ROWS]`
// Sends the Online Retail transactions to a running Tailor through the public ingestion
// API (/batch), with progress and a summary. Data: Chen, Sain & Guo (2012), Online Retail,
// UCI Machine Learning Repository, https://doi.org/10.24432/C5BW33, CC BY 4.0.
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { createGunzip } from "node:zlib";
import { parseCsvLine } from "../src/core/retail/csv";
import { invoiceEvents, parseRetailRow, type RetailRow, type WireEvent } from "../src/core/retail/events";
import { option, readLocal } from "./lib/local.mjs";

const argv = process.argv.slice(2);
const file = argv.find((a, i) => !a.startsWith("--") && !argv[i - 1]?.startsWith("--")) ?? "../shared/data/online-retail.csv.gz";
const local = readLocal();
const url = option(argv, "url", local?.url ?? "http://127.0.0.1:8787");
const apiKey = option(argv, "api-key", local?.api_key);
const limit = Number(option(argv, "limit", "Infinity"));
const concurrency = Number(option(argv, "concurrency", "4"));
const shift = argv.includes("--shift-to-now");
const BATCH = 1000;
if (!apiKey) {
  console.error("No api key: run `npm start` first (it writes .tailor/local.json) or pass --api-key");
  process.exit(2);
}

async function* rows(): AsyncGenerator<RetailRow> {
  const lines = createInterface({ input: createReadStream(file).pipe(createGunzip()), crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    if (n++ === 0 || line === "") continue;
    if (n > limit + 1) break;
    yield parseRetailRow(parseCsvLine(line));
  }
}

/** Invoices are contiguous except one; an invoice is closed once 100 rows have passed it. */
async function* invoices(): AsyncGenerator<RetailRow[]> {
  const open = new Map<string, { lines: RetailRow[]; lastSeen: number }>();
  let n = 0;
  for await (const row of rows()) {
    n++;
    const inv = open.get(row.invoice) ?? { lines: [], lastSeen: n };
    inv.lines.push(row);
    inv.lastSeen = n;
    open.set(row.invoice, inv);
    for (const [id, o] of open) {
      if (n - o.lastSeen > 100) {
        open.delete(id);
        yield o.lines;
      }
    }
  }
  for (const o of open.values()) yield o.lines;
}

async function send(events: WireEvent[]): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    let wait = Math.min(30_000, 500 * 2 ** attempt);
    try {
      const res = await fetch(`${url}/batch`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ api_key: apiKey, events }) });
      if (res.ok) return;
      const body = await res.text();
      if (res.status !== 429 && res.status < 500) throw new Error(`HTTP ${res.status}: ${body}`);
      wait = Math.max(wait, Number(res.headers.get("retry-after") ?? 0) * 1000);
      if (attempt >= 8) throw new Error(`HTTP ${res.status} after ${attempt + 1} tries: ${body}`);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith("HTTP 4")) throw err;
      if (attempt >= 8) throw err;
    }
    await new Promise((r) => setTimeout(r, wait * (0.5 + Math.random())));
  }
}

let shiftMs = 0;
if (shift) {
  let last = 0;
  for await (const r of rows()) last = Math.max(last, r.time);
  shiftMs = Date.now() - last;
}

const started = Date.now();
const counts: Record<string, number> = {};
const customers = new Set<string>();
let invoicesSeen = 0;
let skippedRows = 0;
let sent = 0;
let first = Infinity;
let last = -Infinity;
let pending: WireEvent[] = [];
const inflight = new Set<Promise<void>>();
const progress = () =>
  process.stderr.write(`\r${invoicesSeen.toLocaleString()} invoices, ${sent.toLocaleString()} events sent (${Math.round(sent / ((Date.now() - started) / 1000)).toLocaleString()}/s)   `);

async function flush(events: WireEvent[]) {
  const p = send(events).then(() => {
    sent += events.length;
    progress();
  });
  inflight.add(p);
  void p.finally(() => inflight.delete(p));
  if (inflight.size >= concurrency) await Promise.race(inflight);
}

for await (const lines of invoices()) {
  invoicesSeen++;
  const events = invoiceEvents(lines, shiftMs);
  if (events.length === 0) skippedRows += lines.length;
  for (const e of events) {
    counts[e.event_type] = (counts[e.event_type] ?? 0) + 1;
    customers.add(e.user_id);
    first = Math.min(first, e.time);
    last = Math.max(last, e.time);
  }
  pending.push(...events);
  while (pending.length >= BATCH) await flush(pending.splice(0, BATCH));
}
if (pending.length > 0) await flush(pending);
await Promise.all(inflight);
process.stderr.write("\n");
const secs = (Date.now() - started) / 1000;
console.log(`Loaded ${sent.toLocaleString()} events for ${customers.size.toLocaleString()} customers from ${invoicesSeen.toLocaleString()} invoices in ${secs.toFixed(1)} s (${Math.round(sent / secs).toLocaleString()} events/s) into ${url}`);
for (const [type, n] of Object.entries(counts).sort()) console.log(`  ${type.padEnd(18)} ${n.toLocaleString()}`);
console.log(`  rows without a customer (skipped): ${skippedRows.toLocaleString()}`);
if (sent > 0) console.log(`  event times: ${new Date(first).toISOString()} … ${new Date(last).toISOString()}${shift ? " (shifted to end now)" : ""}`);
console.log("Data: Chen, Sain & Guo (2012), Online Retail, UCI ML Repository, https://doi.org/10.24432/C5BW33, CC BY 4.0.");
