// bench/recs: µs per recommendation at the edge (the profile's `recommend` path inside
// workerd: exclusions, onnxruntime-web inference, picking) for catalogues of 1k and 10k
// items, next to the popular fallback (no inference) and a plain JS scorer of the same
// model (what the ranking costs without onnxruntime-web), all in one run. Embedding size 32, 20-item histories, top 10.
// Timed from outside (workerd's clocks only advance on I/O): (t(n) − t(1)) / (n − 1).
//   node bench/recs.mjs [--n 2000]
import { cpus } from "node:os";
import { option } from "../scripts/lib/local.mjs";
import { fmt, startBenchWorker, table } from "./lib.mjs";

const n = Number(option(process.argv.slice(2), "n", "2000"));
const { time, stop } = await startBenchWorker("bench/recs/wrangler.toml");
try {
  const rows = [];
  for (const items of [1_000, 10_000]) {
    const perCall = async (path, reps = n) => {
      await time(`${path}?items=${items}&n=200`); // warm: model in R2, session, JIT
      const runs = [];
      for (let r = 0; r < 3; r++) runs.push(((await time(`${path}?items=${items}&n=${reps}`)) - (await time(`${path}?items=${items}&n=1`))) / (reps - 1));
      return Math.min(...runs) * 1000;
    };
    const model = await perCall("/model");
    // Sub-microsecond work: many more calls, so the timing is not the HTTP round trip's noise.
    const popular = await perCall("/popular", n * 50);
    const js = await perCall("/js");
    rows.push([items.toLocaleString(), fmt(model, 0), fmt(js, 0), fmt(model / js, 2), fmt(popular, 1)]);
  }
  console.log(
    `\nbench/recs — ${cpus().length} cores, wrangler dev (workerd), embeddings of 32, 20-item histories, top 10, ${n.toLocaleString()} sequential recommendations per timing\n`,
  );
  console.log(table(["catalogue items", "model µs/rec (ORT)", "plain JS µs/rec", "ORT ÷ JS", "popular fallback µs/rec"], rows));
} finally {
  await stop();
}
