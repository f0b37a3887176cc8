import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";

/**
 * The trainer's HTTP to the Worker. A fit blocks Node's event loop for many seconds;
 * meanwhile the server closes idle keep-alive connections, and a request sent on one of
 * them fails — possibly after the server has read it. So reads (the archive: thousands
 * of them) reuse connections and are sent again after meeting a closed one, and a write
 * goes out once, on a connection of its own, so it never meets a closed one and is
 * never sent twice.
 */
export interface Answer {
  status: number;
  text: string;
}

export async function read(url: string, headers: Record<string, string>): Promise<Answer> {
  const once = async () => {
    const res = await fetch(url, { headers });
    return { status: res.status, text: await res.text() };
  };
  try {
    return await once();
  } catch (err) {
    if (!closedIdleConnection(err)) throw err;
    return once();
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
