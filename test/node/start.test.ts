import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/lib/worker.mjs";

// `npm start` itself: migrations, the local server, the seeded project, .tailor/local.json.
const dir = mkdtempSync(join(tmpdir(), "tailor-start-"));
const localJson = join(dir, "local.json");
const children: ChildProcess[] = [];

function start(port: number): ChildProcess {
  const child = spawn(process.execPath, ["scripts/start.mjs", "--port", String(port), "--persist-to", join(dir, "state")], {
    env: { ...process.env, TAILOR_LOCAL_JSON: localJson },
    stdio: "ignore",
  });
  children.push(child);
  return child;
}

async function waitForFile(path: string, since: number, timeoutMs = 90_000): Promise<Record<string, string>> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (existsSync(path)) {
      const json = JSON.parse(readFileSync(path, "utf8"));
      if (json.written_at === undefined || json.written_at >= since) return json;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${path} was not written`);
}

async function stop(child: ChildProcess) {
  child.kill("SIGTERM");
  await new Promise((r) => (child.exitCode !== null ? r(null) : child.once("exit", r)));
}

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) await stop(c);
  rmSync(dir, { recursive: true, force: true });
});

describe("npm start", () => {
  it("serves on the given port, seeds the default project and writes its keys; a restart keeps them", async () => {
    const port = await freePort();
    const since = Date.now();
    const first = start(port);
    const local = await waitForFile(localJson, since);
    expect(local).toMatchObject({ project: "default", url: `http://127.0.0.1:${port}` });
    expect(local.api_key).toMatch(/^[0-9a-f]{32}$/);
    expect(local.secret_key).toMatch(/^[0-9a-f]{32}$/);
    expect(await (await fetch(`${local.url}/health`)).json()).toEqual({ ok: true });

    const ingest = await fetch(`${local.url}/2/httpapi`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ api_key: local.api_key, events: [{ user_id: "start-user", event_type: "Hello" }] }),
    });
    expect(ingest.status).toBe(200);
    await stop(first);

    rmSync(localJson);
    const again = Date.now();
    start(port);
    const second = await waitForFile(localJson, again);
    // Same project and ingest key from the persisted state; the secret is re-issued
    // because local.json (the only place it was written) was gone.
    expect(second.api_key).toBe(local.api_key);
    expect(second.secret_key).not.toBe(local.secret_key);
    const lookup = await fetch(`${second.url}/admin/api/projects/default/users?user_id=start-user`, {
      headers: { authorization: `Bearer ${second.admin_token}` },
    });
    expect(lookup.status).toBe(200);
  });
});
