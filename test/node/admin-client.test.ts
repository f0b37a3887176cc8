import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminClient } from "../../src/train/admin-client";

// The trainer's admin client after a long synchronous fit: the server closed the idle
// keep-alive connections meanwhile, and the next requests must still go through.
// The server runs in its own process (its timers must fire while this one is blocked),
// and like wrangler's it does not announce its keep-alive timeout: it closes a
// connection after 100 ms idle while the client assumes seconds.
const SERVER = `
const net = require("node:net");
const server = net.createServer((socket) => {
  let buffer = "";
  let idle = setTimeout(() => socket.end(), 100);
  socket.on("error", () => undefined);
  socket.on("data", (chunk) => {
    clearTimeout(idle);
    buffer += chunk.toString("utf8");
    for (;;) {
      const end = buffer.indexOf("\\r\\n\\r\\n");
      if (end < 0) break;
      const length = Number(/content-length: (\\d+)/i.exec(buffer.slice(0, end))?.[1] ?? 0);
      if (buffer.length < end + 4 + length) break;
      const [method, path] = buffer.slice(0, end).split(" ");
      const body = buffer.slice(end + 4, end + 4 + length);
      buffer = buffer.slice(end + 4 + length);
      if (method === "POST") process.stdout.write("POST " + body + "\\n");
      const json = JSON.stringify({ ok: true, path });
      socket.write("HTTP/1.1 200 OK\\r\\ncontent-type: application/json\\r\\ncontent-length: " + Buffer.byteLength(json) + "\\r\\n\\r\\n" + json);
    }
    idle = setTimeout(() => socket.end(), 100);
  });
});
server.listen(0, "127.0.0.1", () => process.stdout.write("PORT " + server.address().port + "\\n"));
`;

let server: ChildProcess;
let url: string;
let output = "";

beforeAll(async () => {
  server = spawn(process.execPath, ["-e", SERVER], { stdio: ["ignore", "pipe", "inherit"] });
  server.stdout!.on("data", (c: Buffer) => (output += c.toString("utf8")));
  for (let i = 0; i < 100 && !/PORT \d+/.test(output); i++) await new Promise((r) => setTimeout(r, 50));
  url = `http://127.0.0.1:${/PORT (\d+)/.exec(output)![1]}`;
});
afterAll(() => server?.kill());

const blockFor = (ms: number) => {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // a CPU-bound fit: no I/O callbacks run
  }
};

describe("trainer admin client", () => {
  it("after a long block, writes go out once on fresh connections and reads are resent over closed ones", async () => {
    const api = adminClient({ url, adminToken: "t" });
    await Promise.all([api("GET", "/a"), api("GET", "/b"), api("GET", "/c")]);
    blockFor(600);
    expect(await api<{ path: string }>("GET", "/archive")).toEqual({ ok: true, path: "/admin/api/archive" });
    await Promise.all([api("GET", "/a"), api("GET", "/b"), api("GET", "/c")]);
    blockFor(600);
    expect(await api<{ path: string }>("POST", "/models", { n: 1 })).toEqual({ ok: true, path: "/admin/api/models" });
    expect(await api<{ path: string }>("POST", "/training-jobs/x/finish", { n: 2 })).toMatchObject({ ok: true });
    await new Promise((r) => setTimeout(r, 100));
    // Each reached the server exactly once.
    expect(output.split("\n").filter((l) => l.startsWith("POST "))).toEqual(['POST {"n":1}', 'POST {"n":2}']);
  });
});
