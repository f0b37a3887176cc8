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

/** A server that sheds load (429/503 with Retry-After) is waited for this long before the load gives up. */
const SHED_PATIENCE_MS = 300_000;

/**
 * Posts one batch to /batch, resending as SDKs do: after Retry-After when the server sheds
 * load (for up to SHED_PATIENCE_MS), with backoff on other 5xx and network errors (8 tries).
 */
export async function send(url: string, apiKey: string, events: WireEvent[]): Promise<void> {
  const started = Date.now();
  for (let attempt = 0, failed = 0; ; attempt++) {
    let wait = Math.min(30_000, 500 * 2 ** failed) * (0.5 + Math.random());
    try {
      const res = await fetch(`${url}/batch`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ api_key: apiKey, events }),
      });
      if (res.ok) return;
      const body = await res.text();
      if (res.status !== 429 && res.status < 500) throw new Error(`HTTP ${res.status}: ${body}`);
      const retryAfter = res.headers.get("retry-after");
      if (retryAfter !== null && (res.status === 429 || res.status === 503)) {
        wait = Math.max(1, Number(retryAfter)) * 1000 * (1 + Math.random() / 2); // not before it says
        if (Date.now() - started > SHED_PATIENCE_MS)
          throw new Error(`HTTP ${res.status} for ${Math.round((Date.now() - started) / 1000)} s (${attempt + 1} tries): ${body}`);
      } else if (++failed > 8) throw new Error(`HTTP ${res.status} after ${attempt + 1} tries: ${body}`);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith("HTTP ")) throw err;
      if (++failed > 8) throw err;
    }
    await new Promise((r) => setTimeout(r, wait));
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
  /**
   * Historical import: each customer's whole history in one request (or several of
   * BATCH, in order), customers side by side — one profile commit per customer instead of
   * one per customer per request. Same endpoint, so the same semantics as live ingestion.
   */
  bulk?: boolean;
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

/** A progress bar on stderr: share done, counts, rate and time left. */
function progressBar(total: number, unit: string, started: number) {
  return (done: number, events: number) => {
    const share = total === 0 ? 1 : done / total;
    const seconds = (Date.now() - started) / 1000;
    const left = share > 0 ? Math.round((seconds / share) * (1 - share)) : 0;
    const bar = "#".repeat(Math.round(share * 30)).padEnd(30, ".");
    process.stderr.write(
      `\r[${bar}] ${Math.floor(share * 100)}% ${done.toLocaleString()}/${total.toLocaleString()} ${unit}, ${events.toLocaleString()} events (${Math.round(events / Math.max(seconds, 0.001)).toLocaleString()}/s), ${left} s left   `,
    );
  };
}

export async function loadRetail(o: LoadOptions): Promise<LoadSummary> {
  if (o.bulk) return loadBulk(o);
  const concurrency = o.concurrency ?? 4;
  const started = Date.now();
  const s: LoadSummary = { sent: 0, customers: 0, invoices: 0, skippedRows: 0, counts: {}, first: Infinity, last: -Infinity, seconds: 0 };
  const customers = new Set<string>();
  const pending: WireEvent[] = [];
  const inflight = new Set<Promise<void>>();
  const progress = () =>
    process.stderr.write(
      `\r${s.invoices.toLocaleString()} invoices, ${s.sent.toLocaleString()} events sent (${Math.round(s.sent / ((Date.now() - started) / 1000)).toLocaleString()}/s)   `,
    );
  const flush = async (events: WireEvent[]) => {
    const p = send(o.url, o.apiKey, events).then(() => {
      s.sent += events.length;
      progress();
    });
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
    if (inflight.size >= concurrency) await Promise.race(inflight);
  };
  for await (const events of selectedInvoices(o, s, customers)) {
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

/** Each selected invoice's events in file order, counted into the summary as they go by. */
async function* selectedInvoices(o: LoadOptions, s: LoadSummary, customers: Set<string>): AsyncGenerator<WireEvent[]> {
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
    yield events;
  }
}

async function loadBulk(o: LoadOptions): Promise<LoadSummary> {
  const started = Date.now();
  const s: LoadSummary = { sent: 0, customers: 0, invoices: 0, skippedRows: 0, counts: {}, first: Infinity, last: -Infinity, seconds: 0 };
  const customers = new Set<string>();
  const histories = new Map<string, WireEvent[]>();
  // In file order, which is time order per customer: each history goes out as it happened.
  for await (const events of selectedInvoices(o, s, customers)) {
    for (const e of events) {
      const h = histories.get(e.user_id);
      if (h === undefined) histories.set(e.user_id, [e]);
      else h.push(e);
    }
  }
  const queue = [...histories.values()];
  const show = progressBar(queue.length, "customers", started);
  let done = 0;
  const worker = async () => {
    for (let h = queue.shift(); h !== undefined; h = queue.shift()) {
      for (let i = 0; i < h.length; i += BATCH) {
        const events = h.slice(i, i + BATCH);
        await send(o.url, o.apiKey, events);
        s.sent += events.length;
      }
      show(++done, s.sent);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency ?? 8 }, worker));
  process.stderr.write("\n");
  s.customers = customers.size;
  s.seconds = (Date.now() - started) / 1000;
  return s;
}
