// Helpers shared by the local scripts (start, bench, load): where local state lives and
// how to run wrangler without it reaching for the internet.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** Where `npm start` writes the local keys (tests point it elsewhere). */
export const LOCAL_JSON = process.env.TAILOR_LOCAL_JSON ?? join(ROOT, ".tailor/local.json");
const DEV_VARS = join(ROOT, ".dev.vars");
const DEV_VARS_EXAMPLE = join(ROOT, ".dev.vars.example");
const WRANGLER = join(ROOT, "node_modules/wrangler/bin/wrangler.js");

/** wrangler dev asks Cloudflare for request metadata and sends metrics unless told not to. */
export const OFFLINE_ENV = { CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" };

/**
 * Vars the local server runs with on top of wrangler.toml's: one process holds every
 * resident profile's Durable Object (several hundred kB each, freed ~10 s after its last
 * request), so at most MAX_ACTIVE_PROFILES distinct profiles may be addressed per
 * ACTIVE_PROFILE_SECONDS; beyond that requests get 503 + Retry-After (src/core/active-profiles.ts).
 * Measured by `npm run bench:burst`; the README says what memory this bound means.
 * A returning profile's archive flush falls due while it is still resident (5 s, not
 * Cloudflare's 30): woken by its alarm after eviction it would be resident twice.
 */
export const LOCAL_VARS = { MAX_ACTIVE_PROFILES: "1000", ACTIVE_PROFILE_SECONDS: "12", ARCHIVE_FLUSH_SECONDS: "5" };

/** `--var K:V` arguments (wrangler dev and scripts/serve.mjs take them alike). */
export const varArgs = (vars) => Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]);

/** A fresh CREDENTIALS_KEY: 32 random bytes, base64 (destination credentials are encrypted under it). */
export const newCredentialsKey = () => randomBytes(32).toString("base64");

/**
 * Makes sure .dev.vars holds an ADMIN_TOKEN and a CREDENTIALS_KEY (from the example file,
 * with fresh random values where they are missing or empty); answers the admin token.
 */
export function ensureDevVars() {
  if (!existsSync(DEV_VARS)) {
    const token = randomBytes(24).toString("hex");
    const text = readFileSync(DEV_VARS_EXAMPLE, "utf8").replace(/^ADMIN_TOKEN=.*$/m, `ADMIN_TOKEN=${token}`);
    writeFileSync(DEV_VARS, text, { mode: 0o600 });
  }
  let text = readFileSync(DEV_VARS, "utf8");
  if (!/^CREDENTIALS_KEY=\S/m.test(text)) {
    const line = `CREDENTIALS_KEY=${newCredentialsKey()}`;
    text = /^CREDENTIALS_KEY=.*$/m.test(text) ? text.replace(/^CREDENTIALS_KEY=.*$/m, line) : `${text.replace(/\n?$/, "\n")}${line}\n`;
    writeFileSync(DEV_VARS, text, { mode: 0o600 });
  }
  const token = readDevVars().ADMIN_TOKEN;
  if (!token) throw new Error(".dev.vars has no ADMIN_TOKEN");
  return token;
}

/** .dev.vars as `{NAME: value}` (the local secrets, as wrangler dev reads them). */
export function readDevVars() {
  const lines = readFileSync(DEV_VARS, "utf8").split("\n");
  return Object.fromEntries(
    lines
      .map((line) => /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim()))
      .filter((m) => m !== null)
      .map((m) => [m[1], m[2].trim()]),
  );
}

export function readLocal() {
  return existsSync(LOCAL_JSON) ? JSON.parse(readFileSync(LOCAL_JSON, "utf8")) : undefined;
}

export function writeLocal(value) {
  mkdirSync(dirname(LOCAL_JSON), { recursive: true });
  writeFileSync(LOCAL_JSON, JSON.stringify(value, null, 2) + "\n", { mode: 0o600 });
}

/** Runs a Node program of the project; resolves `exited` with its exit code. */
function node(argv, { stdio, env, detached = false }) {
  // detached: its own process group, so its children can be killed with it (crash tests).
  const child = spawn(process.execPath, argv, { cwd: ROOT, stdio, env: { ...process.env, ...env }, detached });
  const exited = new Promise((resolveExit) => child.on("exit", (code, signal) => resolveExit(code ?? (signal ? 1 : 0))));
  return { child, exited };
}

/**
 * Runs Tailor's local server (scripts/serve.mjs: the bundled Worker on Miniflare) with
 * `args` (--port, --persist-to, --var K:V, --quiet); resolves `exited` with its exit code.
 */
export function server(args, { stdio = "inherit", env = {}, detached = false } = {}) {
  return node([join(ROOT, "scripts/serve.mjs"), ...args], { stdio, env: { ...OFFLINE_ENV, ...env }, detached });
}

/** Runs the project's wrangler with `args`; resolves with its exit code. */
export function wrangler(args, { stdio = "inherit", env = {}, detached = false } = {}) {
  return node([WRANGLER, ...args], { stdio, env: { ...OFFLINE_ENV, ...env }, detached });
}

/**
 * Runs the Node trainer (`npm run train -- …`, src/train/cli.ts) with `args`; resolves
 * with its exit code. `npm start` runs it with `--watch` for the admin UI's Train buttons.
 */
export function trainer(args, { stdio = "inherit", env = {} } = {}) {
  return node(["--import", "tsx", join(ROOT, "src/train/cli.ts"), ...args], { stdio, env });
}

export async function waitForHealth(url, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url}/health did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Admin API call with the bearer token; throws with the body on an unexpected status. */
export async function adminCall(url, token, method, path, body, expected = [200, 201]) {
  const res = await fetch(`${url}/admin/api${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json().catch(() => ({}));
  if (expected !== null && !expected.includes(res.status)) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return { status: res.status, json };
}

/**
 * Makes sure `project` exists and returns its keys. The secret is only shown at creation,
 * so when local.json lost it the secret is rotated to print a usable one.
 */
export async function ensureProject(url, token, project) {
  const known = readLocal();
  const found = await adminCall(url, token, "GET", `/projects/${project}`, undefined, [200, 404]);
  if (found.status === 404) {
    const created = await adminCall(url, token, "POST", "/projects", { id: project });
    return { api_key: created.json.api_key, secret_key: created.json.secret_key };
  }
  const apiKey = found.json.project.api_key;
  if (known?.project === project && known.secret_key && known.secret_key.startsWith(found.json.project.secret_key_prefix)) {
    return { api_key: apiKey, secret_key: known.secret_key };
  }
  const rotated = await adminCall(url, token, "POST", `/projects/${project}/keys/rotate`, { kind: "secret" });
  return { api_key: apiKey, secret_key: rotated.json.key };
}

/** Options like `--port 8787` or `--port=8787` from argv. */
export function option(argv, name, fallback) {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === `--${name}`) return argv[i + 1];
    if (argv[i].startsWith(`--${name}=`)) return argv[i].slice(name.length + 3);
  }
  return fallback;
}
