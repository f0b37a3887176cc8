// Starts a throwaway Tailor (real `wrangler dev` on workerd) with its own state directory,
// for end-to-end tests and benchmarks. Nothing is shared with `npm start`'s state.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { adminCall, waitForHealth, wrangler } from "./local.mjs";

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
 * @param {{ vars?: Record<string, string>, quiet?: boolean }} options
 * @returns {Promise<{ url: string, adminToken: string, persistTo: string, createProject: (id: string) => Promise<{api_key: string, secret_key: string}>, stop: () => Promise<void> }>}
 */
export async function startLocalWorker({ vars = {}, quiet = true } = {}) {
  const persistTo = mkdtempSync(join(tmpdir(), "tailor-"));
  const port = await freePort();
  const adminToken = randomBytes(16).toString("hex");
  const stdio = quiet ? "ignore" : "inherit";
  const migrate = wrangler(["d1", "migrations", "apply", "DB", "--local", "--persist-to", persistTo], { stdio, env: { CI: "true" } });
  if ((await migrate.exited) !== 0) throw new Error("D1 migrations failed");
  const varArgs = Object.entries({ ADMIN_TOKEN: adminToken, ...vars }).flatMap(([k, v]) => ["--var", `${k}:${v}`]);
  const dev = wrangler(
    ["dev", "--ip", "127.0.0.1", "--port", String(port), "--persist-to", persistTo, "--show-interactive-dev-session=false", "--log-level", quiet ? "warn" : "info", "--inspector-port", String(await freePort()), ...varArgs],
    { stdio },
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(url);
  } catch (err) {
    dev.child.kill("SIGTERM");
    throw err;
  }
  return {
    url,
    adminToken,
    persistTo,
    async createProject(id) {
      const { json } = await adminCall(url, adminToken, "POST", "/projects", { id });
      return { api_key: json.api_key, secret_key: json.secret_key };
    },
    async stop() {
      dev.child.kill("SIGTERM");
      await Promise.race([dev.exited, new Promise((r) => setTimeout(r, 5000))]);
      if (dev.child.exitCode === null) dev.child.kill("SIGKILL");
      rmSync(persistTo, { recursive: true, force: true });
    },
  };
}
