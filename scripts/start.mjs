// `npm start [-- --port N] [-- --persist-to DIR]`: Tailor on workerd with local state.
// Applies D1 migrations, starts the local server (scripts/serve.mjs), seeds the `default` project and prints
// its keys (also written to .tailor/local.json for scripts and tools), then runs the
// trainer (`npm run train -- --watch`) for the admin UI's Train buttons; both stop with it.
import { ensureDevVars, ensureProject, LOCAL_VARS, option, readDevVars, server, trainer, varArgs, waitForHealth, wrangler, writeLocal } from "./lib/local.mjs";

const argv = process.argv.slice(2);
const port = Number(option(argv, "port", "8787"));
const persistTo = option(argv, "persist-to", ".wrangler/state");
const project = option(argv, "project", "default");
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error(`--port must be a TCP port, got ${option(argv, "port")}`);
  process.exit(2);
}
const url = `http://127.0.0.1:${port}`;

const adminToken = ensureDevVars();

const migrate = wrangler(["d1", "migrations", "apply", "DB", "--local", "--persist-to", persistTo], { env: { CI: "true" } });
if ((await migrate.exited) !== 0) {
  console.error("Applying D1 migrations failed.");
  process.exit(1);
}

const dev = server(["--port", String(port), "--persist-to", persistTo, ...varArgs({ ...LOCAL_VARS, ...readDevVars() })]);
/** The training job watcher, once Tailor answers. */
let watcher = null;
let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    stopping = true;
    dev.child.kill(signal);
    watcher?.child.kill(signal);
  });
}
dev.exited.then(async (code) => {
  stopping = true;
  if (watcher !== null && watcher.child.exitCode === null) {
    watcher.child.kill("SIGTERM");
    // A training in progress may not yield at once: give it a moment, no more.
    const gone = await Promise.race([watcher.exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 5000))]);
    if (!gone) watcher.child.kill("SIGKILL");
  }
  process.exit(code);
});

try {
  await waitForHealth(url);
  const keys = await ensureProject(url, adminToken, project);
  writeLocal({ project, ...keys, admin_token: adminToken, url, written_at: Date.now() });
  if (!stopping) {
    watcher = trainer(["--watch", "--url", url], { env: { TAILOR_ADMIN_TOKEN: adminToken } });
    watcher.exited.then((code) => {
      if (!stopping) console.error(`The trainer stopped (exit code ${code}): Train buttons queue jobs until \`npm run train -- --watch\` runs.`);
    });
  }
  console.log(`
  Tailor is running at ${url}  (local state in ${persistTo})
    project      ${project}
    api_key      ${keys.api_key}      (public: ingestion)
    secret_key   ${keys.secret_key}      (server-side reads)
    admin_token  ${adminToken}  (admin API, from .dev.vars)
    admin UI     ${url}/admin  (sign in with the admin_token)
    trainer      running: the admin UI's "Train now" buttons train here
  Saved to .tailor/local.json. Try:
    curl -s ${url}/2/httpapi -H 'content-type: application/json' \\
      -d '{"api_key":"${keys.api_key}","events":[{"user_id":"user-1","event_type":"Hello"}]}'
`);
} catch (err) {
  console.error(`Could not finish starting Tailor: ${err.message}`);
  dev.child.kill("SIGTERM");
  process.exit(1);
}
