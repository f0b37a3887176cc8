import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** What `npm start` records for the tools that talk to it (scripts/lib/local.mjs writes the file). */
export interface LocalServer {
  url?: string;
  admin_token?: string;
  project?: string;
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** The running local server's address, admin token and project, when `npm start` has run here. */
export function localServer(): LocalServer | undefined {
  const file = process.env.TAILOR_LOCAL_JSON ?? join(ROOT, ".tailor/local.json");
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as LocalServer) : undefined;
}
