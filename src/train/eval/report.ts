import { atTop, auc, calibration, logLoss, type CalibrationBin } from "../metrics";
import { evaluateTopN, type TopNMetrics } from "../recs/evaluate";

/** How one propensity scorer did on one cutoff's customers. */
export interface PropensityQuality {
  auc: number;
  /** Only for probabilities (null for plain scores such as recency). */
  log_loss: number | null;
  precision_at_10pct: number;
  calibration: CalibrationBin[] | null;
  /** Largest |predicted − observed| over the deciles (null for plain scores). */
  worst_decile_gap: number | null;
}

export function propensityQuality(scores: readonly number[], labels: readonly (0 | 1)[], probabilities: boolean): PropensityQuality {
  const cal = probabilities ? calibration(scores, labels) : null;
  return {
    auc: auc(scores, labels),
    log_loss: probabilities ? logLoss(scores, labels) : null,
    precision_at_10pct: atTop(scores, labels, 0.1).precision,
    calibration: cal,
    worst_decile_gap: cal === null ? null : Math.max(...cal.map((b) => Math.abs(b.predicted - b.actual))),
  };
}

/** One customer's list from one recommender, and what they really bought next. */
export interface ListCase {
  recommended: readonly string[];
  relevant: ReadonlySet<string>;
}

/** HR@n, NDCG@n and coverage over the catalogue, the same for every recommender. */
export function listQuality(cases: readonly ListCase[], catalogSize: number, n = 10): TopNMetrics {
  const index = new Map<string, number>();
  const id = (item: string) => {
    let i = index.get(item);
    if (i === undefined) index.set(item, (i = index.size));
    return i;
  };
  const numbered = cases.map((c, user) => ({ user, seen: [], relevant: new Set([...c.relevant].map(id)), recommended: c.recommended.map(id) }));
  return evaluateTopN(numbered, catalogSize, n, (c) => numbered[c.user]!.recommended);
}
