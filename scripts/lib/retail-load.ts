// The Online Retail transactions (Chen, Sain & Guo 2012, UCI ML Repository,
// https://doi.org/10.24432/C5BW33, CC BY 4.0) read as invoices, and sent to a running
// Tailor through the public ingestion API (/batch). Used by `npm run load` and `npm run eval`.
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { createGunzip } from "node:zlib";
import { parseCsvLine } from "../../src/core/retail/csv";
import { invoiceEvents, parseRetailRow, type RetailRow, type WireEvent } from "../../src/core/retail/events";

export const DEFAULT_DATA = "../shared/data/online-retail.csv.gz";
export const ATTRIBUTION = "Data: Chen, Sain & Guo (2012), Online Retail, UCI ML Repository, https://doi.org/10.24432/C5BW33, CC BY 4.0.";

async function* rows(file: string, limit: number): AsyncGenerator<RetailRow> {
  const lines = createInterface({ input: createReadStream(file).pipe(createGunzip()), crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    if (n++ === 0 || line === "") continue;
    if (n > limit + 1) break;
    yield parseRetailRow(parseCsvLine(line));
  }
}

/** The file's invoices (lines are contiguous except one; an invoice is closed once 100 rows have passed it). */
export async function* invoices(file: string, limit = Infinity): AsyncGenerator<RetailRow[]> {
  const open = new Map<string, { lines: RetailRow[]; lastSeen: number }>();
  let n = 0;
  for await (const row of rows(file, limit)) {
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

/** The time of the file's last row. */
export async function lastTime(file: string, limit = Infinity): Promise<number> {
  let last = 0;
  for await (const r of rows(file, limit)) last = Math.max(last, r.time);
  return last;
}

/** Posts one batch to /batch, resending on 429/5xx and network errors with backoff (as SDKs do). */
export async function send(url: string, apiKey: string, events: WireEvent[]): Promise<void> {
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

export interface LoadOptions {
  file: string;
  url: string;
  apiKey: string;
  /** Rows of the file read at most. */
  limit?: number;
  /** Only invoices before this instant (the file's own time), e.g. an evaluation's cutoff. */
  until?: number;
  /** Only invoices at or after this instant (the file's own time): the rest of a load cut at `until`. */
  since?: number;
  /** Added to every event time (e.g. so that the file's end, or a cutoff, is now). */
  shiftMs?: number;
  concurrency?: number;
  /** Customers to keep (all when unset). */
  customers?: (id: string) => boolean;
}

export interface LoadSummary {
  sent: number;
  customers: number;
  invoices: number;
  skippedRows: number;
  counts: Record<string, number>;
  first: number;
  last: number;
  seconds: number;
}

const BATCH = 1000;

export async function loadRetail(o: LoadOptions): Promise<LoadSummary> {
  const concurrency = o.concurrency ?? 4;
  const started = Date.now();
  const s: LoadSummary = { sent: 0, customers: 0, invoices: 0, skippedRows: 0, counts: {}, first: Infinity, last: -Infinity, seconds: 0 };
  const customers = new Set<string>();
  let pending: WireEvent[] = [];
  const inflight = new Set<Promise<void>>();
  const progress = () =>
    process.stderr.write(`\r${s.invoices.toLocaleString()} invoices, ${s.sent.toLocaleString()} events sent (${Math.round(s.sent / ((Date.now() - started) / 1000)).toLocaleString()}/s)   `);
  const flush = async (events: WireEvent[]) => {
    const p = send(o.url, o.apiKey, events).then(() => {
      s.sent += events.length;
      progress();
    });
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
    if (inflight.size >= concurrency) await Promise.race(inflight);
  };
  for await (const lines of invoices(o.file, o.limit)) {
    if (o.until !== undefined && lines[0]!.time >= o.until) continue;
    if (o.since !== undefined && lines[0]!.time < o.since) continue;
    if (o.customers !== undefined && (lines[0]!.customerId === null || !o.customers(lines[0]!.customerId))) continue;
    s.invoices++;
    const events = invoiceEvents(lines, o.shiftMs ?? 0);
    if (events.length === 0) s.skippedRows += lines.length;
    for (const e of events) {
      s.counts[e.event_type] = (s.counts[e.event_type] ?? 0) + 1;
      customers.add(e.user_id);
      s.first = Math.min(s.first, e.time);
      s.last = Math.max(s.last, e.time);
    }
    pending.push(...events);
    while (pending.length >= BATCH) await flush(pending.splice(0, BATCH));
  }
  if (pending.length > 0) await flush(pending);
  await Promise.all(inflight);
  process.stderr.write("\n");
  s.customers = customers.size;
  s.seconds = (Date.now() - started) / 1000;
  return s;
}
