import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";

/**
 * The trainer's HTTP to the Worker. A fit blocks Node's event loop for many seconds;
 * meanwhile the server closes idle keep-alive connections, and a request sent on one of
 * them fails — possibly after the server has read it. So reads (the archive: thousands
 * of them) reuse connections and are sent again after meeting a closed one, or a reset,
 * or a 503/429 (with backoff, up to READ_TRIES), and a write
 * goes out once, on a connection of its own, so it never meets a closed one and is
 * never sent twice.
 */
export interface Answer {
  status: number;
  text: string;
}

/** Tries of a read: a busy local server may reset every connection in flight at once, or shed load with 503. */
const READ_TRIES = 8;

export async function read(url: string, headers: Record<string, string>, sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))): Promise<Answer> {
  for (let attempt = 1; ; attempt++) {
    let wait = Math.min(10_000, 250 * 2 ** (attempt - 1));
    try {
      const res = await fetch(url, { headers });
      const answer = { status: res.status, text: await res.text() };
      if ((res.status !== 503 && res.status !== 429) || attempt === READ_TRIES) return answer;
      wait = Math.max(wait, Number(res.headers.get("retry-after") ?? 0) * 1000);
    } catch (err) {
      if (!closedIdleConnection(err) || attempt === READ_TRIES) throw err;
      // The first meeting with a closed idle connection is resent at once.
      if (attempt === 1) wait = 0;
    }
    await sleep(wait);
  }
}

export function write(url: string, method: string, headers: Record<string, string>, body: string | undefined): Promise<Answer> {
  const target = new URL(url);
  const request = target.protocol === "https:" ? httpsRequest : httpRequest;
  const length = body === undefined ? {} : { "content-length": String(Buffer.byteLength(body)) };
  return new Promise((resolve, reject) => {
    const req = request(target, { method, headers: { ...headers, ...length }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** Node's fetch failing on a connection the other side had closed (undici's UND_ERR_SOCKET, or a reset). */
function closedIdleConnection(err: unknown): boolean {
  const code = err instanceof Error && err.cause instanceof Error ? (err.cause as Error & { code?: string }).code : undefined;
  return code === "UND_ERR_SOCKET" || code === "ECONNRESET";
}
