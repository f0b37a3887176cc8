// `npm run bench:lift -- [--runs N]`: how the lift report's statistics (src/core/lift.ts)
// behave when the truth is known. Simulated arms convert at p (control) and p + Δ
// (treatment); the report is read after every batch of users, as a marketer watching
// the Performance panel would. Prints the fixed interval's coverage, the false-winner
// rate with Δ = 0 (sequential test vs peeking at p < 0.05), and the always-valid
// interval's coverage at every look with Δ > 0. Seeded: the same numbers every run.
import { liftReport } from "../src/core/lift";
import { option } from "../scripts/lib/local.mjs";

/** A seeded uniform draw (Park–Miller). */
export function rng(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

export function binomial(n: number, p: number, rand: () => number): number {
  let x = 0;
  for (let i = 0; i < n; i++) if (rand() < p) x++;
  return x;
}

/** Runs `runs` experiments of `looks` batches of `batch` users per arm; answers what each reading did. */
export function simulate(runs: number, looks: number, batch: number, pControl: number, delta: number, seed: number) {
  const rand = rng(seed);
  let fixedCovered = 0;
  let sequentialAlwaysCovered = 0;
  let sequentialWinner = 0;
  let peekingWinner = 0;
  for (let run = 0; run < runs; run++) {
    const t = { users: 0, conversions: 0 };
    const c = { users: 0, conversions: 0 };
    let covered = true;
    let won = false;
    let peeked = false;
    let last = liftReport(t, c);
    for (let look = 0; look < looks; look++) {
      t.users += batch;
      c.users += batch;
      t.conversions += binomial(batch, pControl + delta, rand);
      c.conversions += binomial(batch, pControl, rand);
      last = liftReport(t, c);
      const s = last.sequential!;
      covered &&= s.low <= delta && delta <= s.high;
      won ||= s.winner !== null;
      peeked ||= last.p_value! < 0.05;
    }
    if (last.absolute!.low <= delta && delta <= last.absolute!.high) fixedCovered++;
    if (covered) sequentialAlwaysCovered++;
    if (won) sequentialWinner++;
    if (peeked) peekingWinner++;
  }
  return {
    runs,
    fixed_coverage: fixedCovered / runs,
    sequential_coverage_at_every_look: sequentialAlwaysCovered / runs,
    sequential_winner: sequentialWinner / runs,
    peeking_winner: peekingWinner / runs,
  };
}

if (process.argv[1]?.endsWith("lift-sim.ts")) {
  const runs = Number(option(process.argv.slice(2), "runs", "1000"));
  const aa = simulate(runs, 50, 200, 0.1, 0, 5);
  const ab = simulate(runs, 50, 400, 0.1, 0.02, 23);
  console.log(
    `no effect (10 % vs 10 %, 50 looks of 200 users per arm, ${runs} runs): sequential test names a winner in ${(aa.sequential_winner * 100).toFixed(1)} % of runs; peeking at p < 0.05 in ${(aa.peeking_winner * 100).toFixed(1)} %; the final fixed 95 % interval covers 0 in ${(aa.fixed_coverage * 100).toFixed(1)} %`,
  );
  console.log(
    `effect +2 points (12 % vs 10 %, 50 looks of 400 users per arm, ${runs} runs): the always-valid interval covers +2 points at every look in ${(ab.sequential_coverage_at_every_look * 100).toFixed(1)} % of runs and names treatment the winner in ${(ab.sequential_winner * 100).toFixed(1)} %; the final fixed interval covers it in ${(ab.fixed_coverage * 100).toFixed(1)} %`,
  );
}
