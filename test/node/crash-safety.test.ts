import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startLocalWorker, type LocalWorker } from "../../scripts/lib/worker.mjs";

// The real local server on a persisted state directory is SIGKILLed (the server and workerd,
// the whole process group) in the middle of concurrent ingestion, then restarted on the
// same directory: every event that was answered 200 must be in its profile and, after
// the archive flush, in the R2 archive — each exactly once.
const USERS = 20;
const CLIENTS = 8;
const BATCH = 10;
const persistTo = mkdtempSync(join(tmpdir(), "tailor-crash-"));
let worker: LocalWorker | undefined;

afterAll(async () => {
  await worker?.stop();
  rmSync(persistTo, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function admin<T>(w: LocalWorker, path: string): Promise<T> {
  const res = await fetch(`${w.url}/admin/api${path}`, { headers: { authorization: `Bearer ${w.adminToken}` } });
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

describe("crash safety", () => {
  it("after a SIGKILL mid-ingest and a restart, every acknowledged event is stored and archived exactly once", async () => {
    worker = await startLocalWorker({ persistTo, keepState: true, crashable: true, vars: { ARCHIVE_FLUSH_SECONDS: "1" } });
    const { api_key } = await worker.createProject("crash");
    const url = worker.url;

    const acked = new Set<string>();
    let sent = 0;
    let failed = 0;
    let stop = false;
    let seq = 0;
    const client = async (c: number) => {
      while (!stop) {
        const events = Array.from({ length: BATCH }, (_, i) => {
          const n = seq++;
          return { user_id: `crash-user-${(c * BATCH + i) % USERS}`, event_type: "Tick", insert_id: `crash-${n}`, time: Date.now(), event_properties: { n } };
        });
        sent += events.length;
        try {
          const res = await fetch(`${url}/batch`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ api_key, events }),
          });
          const body = (await res.json()) as { code: number };
          if (res.status === 200 && body.code === 200) for (const e of events) acked.add(e.insert_id);
          else failed += events.length;
        } catch {
          failed += events.length; // the crash: no answer, the client does not know
        }
      }
    };
    const clients = Array.from({ length: CLIENTS }, (_, c) => client(c));
    // Wait until ingestion is well under way, then crash in the middle of it.
    while (acked.size < 1_500) await sleep(20);
    await worker.kill();
    stop = true;
    await Promise.all(clients);
    const ackedAtCrash = acked.size;
    console.log(`crash: ${sent} events sent, ${ackedAtCrash} acknowledged, ${failed} unanswered or failed at the crash`);
    expect(ackedAtCrash).toBeGreaterThan(0);

    worker = await startLocalWorker({ persistTo, crashable: true, adminToken: worker.adminToken, vars: { ARCHIVE_FLUSH_SECONDS: "1" } });
    const restarted = worker;

    // Every acknowledged event is in its profile, none twice.
    const stored = new Map<string, number>();
    for (let u = 0; u < USERS; u++) {
      const body = await admin<{ profile: { event_count: number }; events: { insert_id: string }[] }>(
        restarted,
        `/projects/crash/users?user_id=crash-user-${u}&events=1000`,
      );
      for (const e of body.events) stored.set(e.insert_id, (stored.get(e.insert_id) ?? 0) + 1);
      expect(body.profile.event_count).toBe(body.events.length);
    }
    expect([...acked].filter((id) => !stored.has(id))).toEqual([]);
    expect([...stored].filter(([, n]) => n > 1)).toEqual([]);

    // After the archive flush (the restarted objects' alarms), every stored event is archived once.
    let archived = new Map<string, number>();
    for (let attempt = 0; attempt < 60; attempt++) {
      archived = new Map();
      let cursor: string | null = null;
      do {
        const page: { objects: { key: string }[]; cursor: string | null } = await admin(
          restarted,
          `/projects/crash/archive${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ""}`,
        );
        for (const o of page.objects) {
          const res = await fetch(`${restarted.url}/admin/api/projects/crash/archive/object?key=${encodeURIComponent(o.key)}`, {
            headers: { authorization: `Bearer ${restarted.adminToken}` },
          });
          for (const line of (await res.text()).split("\n")) {
            if (line.trim() === "") continue;
            const id = (JSON.parse(line) as { insert_id: string }).insert_id;
            archived.set(id, (archived.get(id) ?? 0) + 1);
          }
        }
        cursor = page.cursor;
      } while (cursor !== null);
      if ([...stored.keys()].every((id) => archived.has(id))) break;
      await sleep(500);
    }
    expect([...acked].filter((id) => !archived.has(id))).toEqual([]);
    expect([...stored.keys()].filter((id) => !archived.has(id))).toEqual([]);
    expect([...archived].filter(([, n]) => n > 1)).toEqual([]);
    console.log(`after restart: ${stored.size} stored (${stored.size - ackedAtCrash} stored but unanswered at the crash), ${archived.size} archived`);
  }, 240_000);
});
