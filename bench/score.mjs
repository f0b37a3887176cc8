// bench/score: onnxruntime-web µs per score inside workerd (wrangler dev) for the
// logistic model the trainer exports, next to a hand-written JS dot product for the same
// model (the limit), and the first-session cost of a fresh isolate — all in one run.
// Timed from outside (workerd's clocks only advance on I/O): (t(n) − t(1)) / (n − 1).
//   node bench/score.mjs [--n 20000]
import { cpus } from "node:os";
import { option } from "../scripts/lib/local.mjs";
import { fmt, startBenchWorker, table } from "./lib.mjs";

const n = Number(option(process.argv.slice(2), "n", "20000"));
const { time, stop } = await startBenchWorker("bench/score/wrangler.toml");
try {
  const trivial = Math.min(...(await Promise.all([0, 1, 2].map(() => time("/")))));
  const firstSession = (await time("/init")) - trivial; // a fresh isolate: wasm init + session
  const laterSession = ((await time("/session?n=21")) - (await time("/session?n=1"))) / 20;
  const perCall = async (path) => {
    await time(`${path}?n=1000`); // warm
    const runs = [];
    for (let r = 0; r < 3; r++) runs.push(((await time(`${path}?n=${n}`)) - (await time(`${path}?n=1`))) / (n - 1));
    return Math.min(...runs) * 1000;
  };
  const ortUs = await perCall("/ort");
  const jsUs = await perCall("/js");
  console.log(
    `\nbench/score — ${cpus().length} cores, wrangler dev (workerd), 15-feature logistic model, ${n.toLocaleString()} sequential scores per timing\n`,
  );
  console.log(
    table(
      ["measure", "value"],
      [
        ["onnxruntime-web µs/score (one row, warm session)", fmt(ortUs, 2)],
        ["hand-written JS dot product µs/score", fmt(jsUs, 3)],
        ["onnxruntime-web ÷ JS", fmt(ortUs / jsUs, 0)],
        ["first session in a fresh isolate (ms)", fmt(firstSession, 1)],
        ["each later session, runtime already up (ms)", fmt(laterSession, 2)],
      ],
    ),
  );
} finally {
  await stop();
}
