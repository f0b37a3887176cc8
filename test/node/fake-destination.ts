import { createServer, type IncomingMessage } from "node:http";

/** One request the fake destination saw, with the status it answered. */
export interface Delivery {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
  status: number;
}

/** What the destination answers next; `retryAfterDate` sends Retry-After as an HTTP-date that many seconds ahead. */
export interface ScriptedAnswer {
  status: number;
  headers?: Record<string, string>;
  retryAfterDate?: number;
}

export interface FakeDestination {
  /** `http://127.0.0.1:<port>`: every path answers; tests tell destinations apart by path. */
  base: string;
  /** Every request answered 200 … */
  received: Delivery[];
  /** … and every request, whatever it was answered. */
  attempts: Delivery[];
  /** Replaces the answers to come (200 once they run out). */
  answerNext(answers: ScriptedAnswer[]): void;
  close(): Promise<void>;
}

/** A webhook-style destination on loopback for the node tests' syncs: records what the local server delivers, answers as scripted. */
export async function startFakeDestination(): Promise<FakeDestination> {
  const received: Delivery[] = [];
  const attempts: Delivery[] = [];
  let script: ScriptedAnswer[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const next = script.shift() ?? { status: 200 };
      const delivery = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body, status: next.status };
      attempts.push(delivery);
      if (next.status === 200) received.push(delivery);
      const retryAfter = next.retryAfterDate === undefined ? {} : { "retry-after": new Date(Date.now() + next.retryAfterDate * 1000).toUTCString() };
      res.writeHead(next.status, { ...next.headers, ...retryAfter });
      res.end(next.status === 200 ? "ok" : "nope");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const address = server.address();
  return {
    base: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`,
    received,
    attempts,
    answerNext: (answers) => {
      script = [...answers];
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
