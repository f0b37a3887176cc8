import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { read } from "../../src/train/http";

// The trainer's archive reads against a server that resets connections or sheds load, as
// the local server does under a burst: they are sent again until answered.
let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

async function serve(answers: ("reset" | number)[]): Promise<{ url: string; seen: () => number }> {
  let n = 0;
  server = createServer((req, res) => {
    const answer = answers[Math.min(n++, answers.length - 1)]!;
    if (answer === "reset") return req.socket.destroy();
    res.writeHead(answer, answer === 503 ? { "retry-after": "0" } : {}).end(answer === 200 ? "ok" : "busy");
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`, seen: () => n };
}
const noWait = () => Promise.resolve();

describe("the trainer's reads", () => {
  it("are sent again after connection resets and 503s until answered", async () => {
    const s = await serve(["reset", "reset", 503, "reset", 200]);
    expect(await read(s.url, {}, noWait)).toEqual({ status: 200, text: "ok" });
    expect(s.seen()).toBe(5);
  });

  it("give up after their tries: the last 503 is returned, a reset thrown", async () => {
    const busy = await serve([503]);
    expect(await read(busy.url, {}, noWait)).toEqual({ status: 503, text: "busy" });
    expect(busy.seen()).toBe(8);
    await new Promise<void>((r) => server!.close(() => r()));
    const resets = await serve(["reset"]);
    await expect(read(resets.url, {}, noWait)).rejects.toThrow(/fetch failed/);
    expect(resets.seen()).toBe(8);
  });
});
