import type { Interval, LiftReport } from "../../core/lift";

/** A rate as a percentage with one decimal ("4.1 %"). */
export const percent = (x: number): string => `${(x * 100).toFixed(1)} %`;
const signed = (x: number, digits = 1) => `${x >= 0 ? "+" : "−"}${Math.abs(x).toFixed(digits)}`;
const points = (i: Interval) => `${signed(i.estimate * 100)} points (95 % interval ${signed(i.low * 100)} … ${signed(i.high * 100)})`;
const money = (x: number) => x.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/**
 * A lift report in plain words, sentence by sentence, for a marketer: what each arm did,
 * the lift with its interval, and which reading may be trusted when.
 */
export function liftSentences(r: LiftReport, controlPercent: number, subject = "this recommendation"): string[] {
  const t = r.treatment;
  const c = r.control;
  if (t.users + c.users === 0)
    return [`No user has been shown ${subject} yet: lift is measured on users who were (reads with exposure=false, previews and rec_type do not count).`];
  const out: string[] = [];
  const arm = (name: string, a: typeof t) =>
    `${name}: ${a.users.toLocaleString("en-US")} ${a.users === 1 ? "user" : "users"} shown it, ${a.conversions.toLocaleString("en-US")} converted (${percent(a.rate.estimate)}).`;
  if (controlPercent <= 0 && c.users === 0)
    return [arm("Treatment", t), "There is no control group, so lift cannot be measured: give it a control share (e.g. 10 %)."];
  if (c.users === 0 || t.users === 0) return [arm("Treatment", t), arm("Control", c), "Lift needs users in both groups."];
  const relative =
    r.relative === null
      ? ""
      : `; ${signed(r.relative.estimate * 100, 0)} % (95 % interval ${signed(r.relative.low * 100, 0)} % … ${signed(r.relative.high * 100, 0)} %)`;
  out.push(
    `Treatment converted ${percent(t.rate.estimate)} of ${t.users.toLocaleString("en-US")} users vs ${percent(c.rate.estimate)} of ${c.users.toLocaleString("en-US")} in control${relative}.`,
  );
  if (r.absolute !== null)
    out.push(
      `That is ${points(r.absolute)}; p = ${r.p_value === null ? "–" : r.p_value < 0.001 ? "< 0.001" : r.p_value.toFixed(3)} — valid when read once, at a size chosen in advance.`,
    );
  if (r.sequential !== null) {
    const verdict = r.sequential.winner === null ? "no winner yet" : r.sequential.winner === "treatment" ? "treatment wins" : "control wins";
    out.push(`Always-valid test (may be read at any time): ${verdict}, lift ${points(r.sequential).replace("95 % interval", "95 % always-valid interval")}.`);
  }
  if (
    t.value_per_user !== null &&
    c.value_per_user !== null &&
    r.value_difference !== null &&
    (t.value_per_user.estimate !== 0 || c.value_per_user.estimate !== 0)
  ) {
    const d = r.value_difference;
    out.push(
      `Value per user: ${money(t.value_per_user.estimate)} vs ${money(c.value_per_user.estimate)} (difference ${d.estimate >= 0 ? "+" : "−"}${money(Math.abs(d.estimate))}, 95 % interval ${money(d.low)} … ${money(d.high)}).`,
    );
  }
  return out;
}
