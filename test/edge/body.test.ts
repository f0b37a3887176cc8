import { describe, expect, it } from "vitest";
import { readBody } from "../../src/edge/body";
import { archiveKey, dedupeArchived, hourOf, parseNdjson, toNdjson } from "../../src/core/archive";
import type { TailorEvent } from "../../src/core/event";

const gzip = async (text: string) => new Uint8Array(await new Response(new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer());

describe("readBody", () => {
  it("reads plain and gzip bodies, counting decompressed bytes", async () => {
    const plain = await readBody(new Request("http://x", { method: "POST", body: "héllo" }), 100);
    expect(plain).toEqual({ ok: true, text: "héllo", bytes: 6 });
    const gz = await readBody(new Request("http://x", { method: "POST", body: await gzip("héllo"), headers: { "content-encoding": "gzip" } }), 100);
    expect(gz).toEqual({ ok: true, text: "héllo", bytes: 6 });
  });

  it("stops at the cap, whether the length is declared or not", async () => {
    expect(await readBody(new Request("http://x", { method: "POST", body: "x".repeat(101) }), 100)).toMatchObject({ ok: false, reason: "too_large" });
    const bomb = await gzip("0".repeat(1_000_000));
    expect(bomb.byteLength).toBeLessThan(10_000);
    const res = await readBody(new Request("http://x", { method: "POST", body: bomb, headers: { "content-encoding": "gzip" } }), 100_000);
    expect(res).toMatchObject({ ok: false, reason: "too_large" });
  });

  it("knows gzip by its magic bytes when no header says so (posthog-js posts it as text/plain)", async () => {
    const bytes = await gzip('{"batch":[]}');
    const res = await readBody(new Request("http://x", { method: "POST", body: bytes, headers: { "content-type": "text/plain" } }), 100);
    expect(res).toEqual({ ok: true, text: '{"batch":[]}', bytes: 12 });
    // Split across chunks, the first one a single byte.
    const split = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(bytes.slice(0, 1));
        c.enqueue(bytes.slice(1));
        c.close();
      },
    });
    expect(await readBody(new Request("http://x", { method: "POST", body: split, duplex: "half" } as RequestInit), 100)).toMatchObject({
      ok: true,
      text: '{"batch":[]}',
    });
    // Magic bytes and then garbage: bad gzip, not bad UTF-8.
    expect(await readBody(new Request("http://x", { method: "POST", body: new Uint8Array([0x1f, 0x8b, 1, 2, 3]) }), 100)).toMatchObject({
      ok: false,
      reason: "bad_gzip",
    });
    expect(await readBody(new Request("http://x", { method: "POST", body: new Uint8Array([0x1f]) }), 100)).toEqual({ ok: true, text: "\u001f", bytes: 1 });
  });

  it("refuses invalid UTF-8", async () => {
    const res = await readBody(new Request("http://x", { method: "POST", body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) }), 100);
    expect(res).toMatchObject({ ok: false, reason: "bad_utf8" });
  });
});

describe("archive layout", () => {
  it("partitions by project and UTC hour with sortable, deterministic keys", () => {
    const t = Date.UTC(2011, 11, 9, 12, 50);
    expect(hourOf(t)).toBe("2011-12-09T12");
    expect(archiveKey("shop", hourOf(t), "abcd", 42)).toBe("events/project=shop/hour=2011-12-09T12/abcd-000000000042.ndjson");
  });

  it("round-trips NDJSON and drops repeats by insert_id per profile, or by uuid", () => {
    const e = (uuid: string, insert_id?: string, user_id = "u1") =>
      ({ uuid, insert_id, user_id, event_type: "A", time: 0, received_at: 0, event_properties: {}, user_properties: {} }) as TailorEvent;
    const events = [e("1", "a"), e("2", "a"), e("3", "a", "u2"), e("4"), e("4")];
    expect(dedupeArchived(parseNdjson(toNdjson(events))).map((x) => x.uuid)).toEqual(["1", "3", "4"]);
  });
});
