import { describe, expect, it } from "vitest";
import { ProgressReporter } from "../../src/train/worker-loop";

// The trainer's progress lines: throttled, in order, and every heartbeat carries the
// newest line once.
function reporter(minMs = 2_000) {
  let now = 0;
  const sent: (string | undefined)[] = [];
  const errors: unknown[] = [];
  const r = new ProgressReporter(
    async (m) => void sent.push(m),
    (e) => errors.push(e),
    minMs,
    () => now,
  );
  return { r, sent, errors, tick: (ms: number) => (now += ms) };
}

describe("ProgressReporter", () => {
  it("sends the first line at once, then at most one per interval", async () => {
    const { r, sent, tick } = reporter();
    r.update("listing the event archive");
    for (let h = 1; h <= 5; h++) {
      tick(500);
      r.update(`reading hour ${h}`);
    }
    await r.settled();
    // 0 ms: sent; 500..2000 ms: only the line at 2000 ms is due.
    expect(sent).toEqual(["listing the event archive", "reading hour 4"]);
  });

  it("a heartbeat sends the newest unsent line, or none", async () => {
    const { r, sent, tick } = reporter();
    r.update("a");
    tick(10);
    r.update("b");
    await r.heartbeat();
    await r.heartbeat();
    expect(sent).toEqual(["a", "b", undefined]);
  });

  it("a failed send is reported and later ones still go", async () => {
    let fail = true;
    const errors: unknown[] = [];
    const sent: (string | undefined)[] = [];
    const r = new ProgressReporter(
      async (m) => {
        if (fail) throw new Error("409 held by another trainer");
        sent.push(m);
      },
      (e) => errors.push(e),
      0,
    );
    r.update("one");
    await r.settled();
    fail = false;
    r.update("two");
    await r.settled();
    expect(errors).toHaveLength(1);
    expect(sent).toEqual(["two"]);
  });
});
