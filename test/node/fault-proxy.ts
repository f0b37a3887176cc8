import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server } from "node:http";
import { gunzipSync } from "node:zlib";
import { mulberry32 } from "../../src/core/hash";

/**
 * An HTTP proxy in front of the real local server that, per request: answers 503 without
 * forwarding; forwards and then loses the response (the client cannot know whether it
 * was stored); forwards and then holds the response until the client times out; or
 * delivers the request upstream twice at once. Used by the exactly-once tests with each
 * official SDK, whose own retries must then count every event once.
 *
 * It also reads the event ids out of every body it sees (Amplitude `insert_id`, Segment /
 * RudderStack `messageId`, PostHog `uuid`; gzip undone), so a test can check that the
 * SDK really sent again what had already been stored.
 */
export type Fault = "unavailable" | "dropResponse" | "hang" | "duplicate";
export const FAULT_KINDS: readonly Fault[] = ["unavailable", "dropResponse", "hang", "duplicate"];

export interface FaultProxyOptions {
  /** Probability of each fault per request; the rest are forwarded cleanly. */
  faults?: Record<Fault, number>;
  seed?: number;
  /**
   * How a response is lost after forwarding. "midBody": the status line and a few bytes
   * go out, then the connection dies (an SDK that reads the body cannot know the
   * outcome; Amplitude's drops a batch whose connection fails before any byte, as
   * "never reached the server"). "beforeResponse": the connection dies before any byte
   * (an SDK that looks only at the status would count a 200 with a cut body as success).
   */
  drop?: "midBody" | "beforeResponse";
  /**
   * A request carrying an event that was already faulted this many times is forwarded
   * cleanly, so SDKs with long exponential backoff still finish in bounded time.
   */
  maxFaultsPerEvent?: number;
  /** Faults for the first requests, in order (default: one of each kind, so every kind happens). */
  first?: Fault[];
}

export interface FaultProxy {
  url: string;
  /** Requests seen, by what was done to them; `slowestUpstreamMs` is the longest forward. */
  seen: Record<Fault | "requests" | "clean" | "slowestUpstreamMs", number>;
  /** Times each event id was forwarded upstream (a duplicate delivery counts twice). */
  forwarded: Map<string, number>;
  /** Event ids in requests that were stored upstream but whose answer the client never got whole. */
  unacknowledged: Set<string>;
  close(): void;
}

const DEFAULT_FAULTS: Record<Fault, number> = { unavailable: 0.15, dropResponse: 0.15, hang: 0.05, duplicate: 0.15 };
/** Headers that belong to one connection, not to the request. */
const HOP_BY_HOP = new Set(["host", "connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection", "upgrade", "te"]);

/** Seeded (mulberry32), so a failure can be replayed: draws in [0, 1). */
function rng(seed: number): () => number {
  const draw = mulberry32(seed);
  return () => draw() / 4294967296;
}

/** The event ids of an ingestion body, whichever SDK sent it; [] when it cannot be read. */
export function eventIds(body: Buffer, headers: IncomingHttpHeaders): string[] {
  try {
    const gzipped = headers["content-encoding"] === "gzip" || (body[0] === 0x1f && body[1] === 0x8b);
    const parsed = JSON.parse((gzipped ? gunzipSync(body) : body).toString("utf8")) as Record<string, unknown>;
    const list = Array.isArray(parsed) ? parsed : (parsed.events ?? parsed.batch ?? [parsed]);
    if (!Array.isArray(list)) return [];
    return list.flatMap((e: Record<string, unknown>) => {
      const id = e?.insert_id ?? e?.messageId ?? e?.uuid;
      return typeof id === "string" ? [id] : [];
    });
  } catch {
    return [];
  }
}

interface Upstream {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

function forward(target: URL, req: IncomingMessage, body: Buffer): Promise<Upstream> {
  const headers: Record<string, string | string[]> = { "content-length": String(body.length) };
  for (const [name, value] of Object.entries(req.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
  return new Promise((resolve, reject) => {
    const out = request(new URL(req.url ?? "/", target), { method: req.method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const kept: Record<string, string> = {};
        for (const name of ["content-type", "retry-after"]) if (res.headers[name] !== undefined) kept[name] = String(res.headers[name]);
        resolve({ status: res.statusCode ?? 0, headers: kept, body: Buffer.concat(chunks) });
      });
      res.on("error", reject);
    });
    out.on("error", reject);
    out.end(body);
  });
}

export async function startFaultProxy(target: string, options: FaultProxyOptions = {}): Promise<FaultProxy> {
  const faults = options.faults ?? DEFAULT_FAULTS;
  const random = rng(options.seed ?? 9);
  const maxFaults = options.maxFaultsPerEvent ?? Infinity;
  const upstreamUrl = new URL(target);
  const seen: FaultProxy["seen"] = { requests: 0, unavailable: 0, dropResponse: 0, hang: 0, duplicate: 0, clean: 0, slowestUpstreamMs: 0 };
  const forwarded = new Map<string, number>();
  const unacknowledged = new Set<string>();
  const faultsOf = new Map<string, number>();
  const forced: Fault[] = [...(options.first ?? FAULT_KINDS)];
  const roll = (): Fault | "clean" => {
    const r = random();
    let edge = 0;
    return FAULT_KINDS.find((kind) => r < (edge += faults[kind])) ?? "clean";
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const body = Buffer.concat(chunks);
      const ids = eventIds(body, req.headers);
      seen.requests++;
      const capped = ids.some((id) => (faultsOf.get(id) ?? 0) >= maxFaults);
      const fault = capped ? "clean" : (forced.shift() ?? roll());
      seen[fault]++;
      if (fault !== "clean" && fault !== "duplicate") for (const id of ids) faultsOf.set(id, (faultsOf.get(id) ?? 0) + 1);
      const send = async () => {
        const started = Date.now();
        const upstream = await forward(upstreamUrl, req, body);
        seen.slowestUpstreamMs = Math.max(seen.slowestUpstreamMs, Date.now() - started);
        for (const id of ids) forwarded.set(id, (forwarded.get(id) ?? 0) + 1);
        return upstream;
      };
      try {
        if (fault === "unavailable") {
          res.writeHead(503, { "content-type": "application/json" }).end(JSON.stringify({ code: 503, error: "Service unavailable (injected)" }));
        } else if (fault === "dropResponse") {
          const upstream = await send(); // stored upstream…
          for (const id of ids) unacknowledged.add(id);
          if (options.drop === "beforeResponse") {
            res.socket?.destroy(); // …and the connection dies before any answer
          } else {
            // …but the answer never arrives whole: status line and a few bytes, then the connection dies.
            res.writeHead(upstream.status, { ...upstream.headers, "content-length": String(upstream.body.length) });
            res.flushHeaders();
            res.write(upstream.body.subarray(0, 5), () => setTimeout(() => res.destroy(), 20));
          }
        } else if (fault === "hang") {
          await send(); // stored, then silence until the client gives up
          for (const id of ids) unacknowledged.add(id);
        } else if (fault === "duplicate") {
          const [first] = await Promise.all([send(), send()]);
          res.writeHead(first.status, first.headers).end(first.body);
        } else {
          const upstream = await send();
          res.writeHead(upstream.status, upstream.headers).end(upstream.body);
        }
      } catch (err) {
        res.destroy(err as Error);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const address = server.address();
  return {
    url: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`,
    seen,
    forwarded,
    unacknowledged,
    close() {
      server.closeAllConnections();
      server.close();
    },
  };
}
