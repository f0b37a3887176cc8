// Starts a throwaway Tailor (the local server of `npm start`: workerd via Miniflare) with its own state directory,
// for end-to-end tests and benchmarks. Nothing is shared with `npm start`'s state.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { adminCall, LOCAL_VARS, newCredentialsKey, server, varArgs, waitForHealth, wrangler } from "./local.mjs";

export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * `persistTo` reuses an existing state directory (a restart after a crash); `keepState`
 * leaves the directory in place on stop(). With `crashable`, the server runs in its own
 * process group and `kill()` SIGKILLs it with workerd, without any shutdown — a crash.
 * (Only then: a detached server would outlive a Ctrl-C of the script that started it.)
 * `credentialsKey` (CREDENTIALS_KEY, destination credentials) is fresh unless given: a
 * restart on the same state passes the first one back, as it does `adminToken`.
 * `inspectorPort` opens workerd's V8 inspector there (a CPU profile of the server, DevTools).
 * @param {{ vars?: Record<string, string>, quiet?: boolean, persistTo?: string, keepState?: boolean, adminToken?: string, credentialsKey?: string, crashable?: boolean, inspectorPort?: number }} options
 * @returns {Promise<{ url: string, adminToken: string, credentialsKey: string, persistTo: string, createProject: (id: string) => Promise<{api_key: string, secret_key: string}>, stop: () => Promise<void>, kill: () => Promise<void> }>}
 */
export async function startLocalWorker({
  vars = {},
  quiet = true,
  persistTo: existing,
  keepState = false,
  adminToken = randomBytes(16).toString("hex"),
  credentialsKey = newCredentialsKey(),
  crashable = false,
  inspectorPort,
} = {}) {
  const persistTo = existing ?? mkdtempSync(join(tmpdir(), "tailor-"));
  const port = await freePort();
  const stdio = quiet ? "ignore" : "inherit";
  const migrate = wrangler(["d1", "migrations", "apply", "DB", "--local", "--persist-to", persistTo], { stdio, env: { CI: "true" } });
  if ((await migrate.exited) !== 0) throw new Error("D1 migrations failed");
  const devVars = varArgs({ ...LOCAL_VARS, ADMIN_TOKEN: adminToken, CREDENTIALS_KEY: credentialsKey, ...vars });
  const dev = server(
    [
      "--port",
      String(port),
      "--persist-to",
      persistTo,
      ...(quiet ? ["--quiet"] : []),
      ...(inspectorPort === undefined ? [] : ["--inspector-port", String(inspectorPort)]),
      ...devVars,
    ],
    { stdio, detached: crashable },
  );
  const killGroup = (signal) => {
    try {
      if (crashable) process.kill(-dev.child.pid, signal);
      else dev.child.kill(signal);
    } catch {
      // already gone
    }
  };
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(url);
  } catch (err) {
    killGroup("SIGKILL");
    throw err;
  }
  return {
    url,
    pid: dev.child.pid,
    adminToken,
    credentialsKey,
    persistTo,
    admin(method, path, body) {
      return adminCall(url, adminToken, method, path, body, null);
    },
    async createProject(id) {
      const { json } = await adminCall(url, adminToken, "POST", "/projects", { id });
      return { api_key: json.api_key, secret_key: json.secret_key };
    },
    async stop() {
      dev.child.kill("SIGTERM");
      await Promise.race([dev.exited, new Promise((r) => setTimeout(r, 5000))]);
      if (dev.child.exitCode === null || crashable) killGroup("SIGKILL"); // with crashable: workerd too, if the server left it behind
      if (!keepState) rmSync(persistTo, { recursive: true, force: true });
    },
    async kill() {
      if (!crashable) throw new Error("kill() needs startLocalWorker({ crashable: true })");
      killGroup("SIGKILL");
      await Promise.race([dev.exited, new Promise((r) => setTimeout(r, 5000))]);
    },
  };
}
