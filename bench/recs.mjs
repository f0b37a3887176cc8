// bench/recs: µs per recommendation at the edge (the profile's `recommend` path inside
// workerd: exclusions, onnxruntime-web inference, picking) for catalogues of 1k and 10k
// items, next to the popular fallback (no inference) and a plain JS scorer of the same
// model (what the ranking costs without onnxruntime-web), all in one run. Embedding size 32, 20-item histories, top 10.
// Timed from outside (workerd's clocks only advance on I/O): (t(n) − t(1)) / (n − 1).
//   node bench/recs.mjs [--n 2000]
import { cpus, tmpdir } from "node:os";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { option, wrangler } from "../scripts/lib/local.mjs";
import { freePort } from "../scripts/lib/worker.mjs";
import { fmt, sleep, table } from "./lib.mjs";

const n = Number(option(process.argv.slice(2), "n", "2000"));
const port = await freePort();
const state = mkdtempSync(join(tmpdir(), "tailor-bench-recs-"));
const dev = wrangler(
  ["dev", "-c", "bench/recs/wrangler.toml", "--ip", "127.0.0.1", "--port", String(port), "--persist-to", state, "--show-interactive-dev-session=false", "--log-level", "warn", "--inspector-port", String(await freePort())],
  { stdio: "ignore" },
);
const url = `http://127.0.0.1:${port}`;
const time = async (path) => {
  const t0 = performance.now();
  const res = await fetch(`${url}${path}`);
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  await res.text();
  return performance.now() - t0;
};
try {
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(url)).ok) break;
    } catch {}
    if (i > 300) throw new Error("bench worker did not start");
    await sleep(200);
  }
  const rows = [];
  for (const items of [1_000, 10_000]) {
    const perCall = async (path) => {
      await time(`${path}?items=${items}&n=200`); // warm: model in R2, session, JIT
      const runs = [];
      for (let r = 0; r < 3; r++) runs.push(((await time(`${path}?items=${items}&n=${n}`)) - (await time(`${path}?items=${items}&n=1`))) / (n - 1));
      return Math.min(...runs) * 1000;
    };
    const model = await perCall("/model");
    const popular = await perCall("/popular");
    const js = await perCall("/js");
    rows.push([items.toLocaleString(), fmt(model, 0), fmt(js, 0), fmt(model / js, 2), fmt(popular, 1)]);
  }
  console.log(`\nbench/recs — ${cpus().length} cores, wrangler dev (workerd), embeddings of 32, 20-item histories, top 10, ${n.toLocaleString()} sequential recommendations per timing\n`);
  console.log(table(["catalogue items", "model µs/rec (ORT)", "hand-written JS µs/rec", "ORT ÷ JS", "popular fallback µs/rec"], rows));
} finally {
  dev.child.kill("SIGTERM");
  await sleep(500);
  rmSync(state, { recursive: true, force: true });
}
