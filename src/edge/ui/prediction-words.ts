import { percent } from "./lift-words";

/** One quality reading of a prediction (the trainer's holdout, or what users were served). */
export interface QualityReading {
  auc?: number | null | undefined;
  positive_rate?: number | null | undefined;
  precision_at_10pct?: number | null | undefined;
}

/** AUC differences smaller than this are "the same" in words. */
const SAME_AUC = 0.005;

/**
 * A prediction's quality in plain words for a marketer: how well it ranks (AUC as "how
 * often a user who will reach the goal is ranked above one who will not"), what its top
 * 10 % is worth against the average, and — honestly — whether it beats the simple
 * recency/frequency baseline the trainer fits beside it.
 */
export function qualitySentences(
  model: QualityReading | undefined,
  baseline: QualityReading | undefined,
  served?: QualityReading & { users?: number },
): string[] {
  const out: string[] = [];
  const auc = model?.auc ?? undefined;
  if (auc === undefined || auc === null) return ["No holdout quality stored for this version."];
  const verdict = auc >= 0.8 ? "ranks well" : auc >= 0.7 ? "ranks usefully" : auc >= 0.6 ? "ranks weakly" : "hardly ranks better than chance";
  out.push(
    `It ${verdict}: a user who reached the goal was scored above one who did not ${percent(auc)} of the time (AUC ${auc.toFixed(3)}; a coin toss is 50 %).`,
  );
  const rate = model?.positive_rate;
  const top = model?.precision_at_10pct;
  if (rate != null && top != null && rate > 0)
    out.push(`Of the 10 % of users it scores highest, ${percent(top)} reached the goal: ${(top / rate).toFixed(1)}× the ${percent(rate)} of all users.`);
  const base = baseline?.auc;
  if (base != null) {
    const d = auc - base;
    out.push(
      Math.abs(d) < SAME_AUC
        ? `The simple baseline (how recently and how often each user did it) ranks as well (AUC ${base.toFixed(3)}): the model adds nothing over it yet.`
        : d > 0
          ? `It beats the simple baseline (how recently and how often each user did it), whose AUC is ${base.toFixed(3)}.`
          : `The simple baseline (how recently and how often each user did it) ranks better (AUC ${base.toFixed(3)}): prefer a cohort on those counts until the model improves.`,
    );
  }
  if (served?.auc != null && served.users !== undefined)
    out.push(`On what ${served.users.toLocaleString("en-US")} users were served and did next, its AUC is ${served.auc.toFixed(3)}.`);
  return out;
}

/** Feature names as a person reads them: `goal_count_30d` → "goal count, 30 days". */
export function readableFeature(name: string): string {
  return name
    .replace(/_(\d+)d\b/g, ", $1 days")
    .replace(/_/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}
