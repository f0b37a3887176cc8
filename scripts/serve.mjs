// `node scripts/serve.mjs --port N --persist-to DIR [--var K:V …] [--inspector-port N]`: Tailor's local server.
// The Worker is bundled as `wrangler deploy` bundles it and runs on Miniflare directly —
// workerd with Miniflare's own D1, R2 and Durable Objects, the bindings read from
// wrangler.toml, state persisted as `wrangler dev --persist-to DIR` keeps it — without
// wrangler dev's proxy in front (it cost most of the request rate and held memory of its
// own). Cron triggers fire the Worker's scheduled handler on their minute, which nothing
// does under `wrangler dev`. `npm run dev` keeps wrangler dev for editing with reload.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Log, LogLevel, Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions, unstable_readConfig } from "wrangler";
import { option, ROOT, wrangler } from "./lib/local.mjs";

const argv = process.argv.slice(2);
const port = Number(option(argv, "port", "8787"));
const persistTo = option(argv, "persist-to", ".wrangler/state");
const quiet = argv.includes("--quiet");
/** `--inspector-port N`: workerd's V8 inspector (Chrome DevTools, or a CPU profile), as `wrangler dev` offers. */
const inspectorPort = option(argv, "inspector-port");
/** `--var K:V`, as wrangler dev takes them. */
const vars = {};
argv.forEach((arg, i) => {
  if (arg !== "--var") return;
  const [key, ...rest] = argv[i + 1].split(":");
  vars[key] = rest.join(":");
});

const config = join(ROOT, "wrangler.toml");
const bundle = mkdtempSync(join(tmpdir(), "tailor-bundle-"));
const built = wrangler(["deploy", "--dry-run", "--outdir", bundle, "--config", config], { stdio: quiet ? "ignore" : ["ignore", "ignore", "inherit"] });
if ((await built.exited) !== 0) {
  console.error("Bundling the Worker failed (wrangler deploy --dry-run).");
  process.exit(1);
}

const { workerOptions } = unstable_getMiniflareWorkerOptions(config);
const { name, triggers } = unstable_readConfig({ config });
const mf = new Miniflare({
  host: "127.0.0.1",
  port,
  defaultPersistRoot: join(persistTo, "v3"),
  log: new Log(quiet ? LogLevel.WARN : LogLevel.INFO),
  logRequests: false,
  ...(inspectorPort === undefined ? {} : { inspectorPort: Number(inspectorPort) }),
  // Offline: requests get Miniflare's placeholder `cf` object instead of one fetched from Cloudflare.
  cf: false,
  workers: [
    {
      ...workerOptions,
      name,
      // The bundle's modules as wrangler wrote them (its dynamic imports are never reached).
      modulesRoot: bundle,
      modules: [
        { type: "ESModule", path: join(bundle, "index.js") },
        ...readdirSync(bundle)
          .filter((f) => f.endsWith(".wasm"))
          .map((f) => ({ type: "CompiledWasm", path: join(bundle, f) })),
      ],
      bindings: { ...workerOptions.bindings, ...vars },
    },
  ],
});
const url = await mf.ready;

/** Every minute: the scheduled handler, for the crons wrangler.toml declares (all are per-minute today). */
const crons = triggers?.crons ?? [];
if (crons.some((c) => c !== "* * * * *")) throw new Error(`scripts/serve.mjs fires only "* * * * *" crons; wrangler.toml has ${JSON.stringify(crons)}`);
let cronTimer;
const fireCrons = async () => {
  cronTimer = setTimeout(fireCrons, 60_000 - (Date.now() % 60_000));
  const scheduledTime = new Date(Math.floor(Date.now() / 60_000) * 60_000);
  for (const cron of crons) {
    try {
      await (await mf.getWorker()).scheduled({ cron, scheduledTime });
    } catch (err) {
      console.error(`cron ${cron} failed:`, err);
    }
  }
};
if (crons.length > 0) cronTimer = setTimeout(fireCrons, 60_000 - (Date.now() % 60_000));

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  clearTimeout(cronTimer);
  await mf.dispose().catch(() => {});
  rmSync(bundle, { recursive: true, force: true });
  process.exit(0);
};
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, stop);
console.log(`Ready on ${url.origin}`);
