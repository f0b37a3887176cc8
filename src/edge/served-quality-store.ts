import { and, eq, gt, isNotNull, isNull, sql, type SQL } from "drizzle-orm";
import { OUTCOME_GRACE_MS } from "../core/served-outcomes";
import { predictionQuality, recommendationQuality, SCORE_BINS, type ServedPredictionQuality, type ServedRecommendationQuality } from "../core/served-quality";
import { servedOutcomes } from "../db/schema";
import type { Db } from "./db";

/** A model version's quality as measured on what its users were served and then did. */
export interface ServedView {
  /** Windows resolved (their quality below) and still open (waiting for their horizon to pass). */
  resolved: number;
  open: number;
  /** When the earliest open window resolves. */
  next_resolution_at: number | null;
  prediction: ServedPredictionQuality | null;
  recommendation: { all: ServedRecommendationQuality; by_source: Record<string, ServedRecommendationQuality> } | null;
}

const n = sql<number>`COUNT(*)`;

/** Served quality per model id of a project (one definition's when `ownerId` is given); aggregated by D1, never row by row. */
export async function servedQualityByModel(d: Db, projectId: string, ownerId?: string): Promise<Map<string, ServedView>> {
  const scope = (...more: SQL[]) =>
    and(eq(servedOutcomes.projectId, projectId), ownerId === undefined ? undefined : eq(servedOutcomes.ownerId, ownerId), ...more);
  const resolved = isNotNull(servedOutcomes.outcome);
  const bin = sql<number>`CAST(MIN(${servedOutcomes.score}, 0.999999) * ${SCORE_BINS} AS INTEGER)`;
  const [bins, lists, open] = await Promise.all([
    d
      .select({
        model: servedOutcomes.modelId,
        bin: bin.as("bin"),
        n,
        positives: sql<number>`SUM(${servedOutcomes.outcome})`,
        sum_score: sql<number>`SUM(${servedOutcomes.score})`,
        sum_loss: sql<number>`SUM(${servedOutcomes.loss})`,
      })
      .from(servedOutcomes)
      .where(scope(resolved, eq(servedOutcomes.ownerKind, "prediction")))
      .groupBy(servedOutcomes.modelId, sql`bin`),
    d
      .select({
        model: servedOutcomes.modelId,
        source: sql<string>`COALESCE(${servedOutcomes.source}, 'model')`,
        windows: n,
        relevant_windows: sql<number>`SUM(${servedOutcomes.relevant} > 0)`,
        hits: sql<number>`SUM(${servedOutcomes.outcome})`,
        sum_ndcg: sql<number>`SUM(CASE WHEN ${servedOutcomes.relevant} > 0 THEN ${servedOutcomes.ndcg} ELSE 0 END)`,
      })
      .from(servedOutcomes)
      .where(scope(resolved, eq(servedOutcomes.ownerKind, "recommendation")))
      .groupBy(servedOutcomes.modelId, servedOutcomes.source),
    // A window abandoned when its device joined a user never resolves: it stops counting once it has ended.
    d
      .select({ model: servedOutcomes.modelId, open: n, next: sql<number>`MIN(${servedOutcomes.closesAt})` })
      .from(servedOutcomes)
      .where(scope(isNull(servedOutcomes.outcome), gt(servedOutcomes.closesAt, Date.now() - OUTCOME_GRACE_MS)))
      .groupBy(servedOutcomes.modelId),
  ]);
  const models = new Set([...bins, ...lists, ...open].map((r) => r.model));
  const out = new Map<string, ServedView>();
  for (const model of models) {
    const b = bins.filter((r) => r.model === model);
    const l = lists.filter((r) => r.model === model);
    const o = open.find((r) => r.model === model);
    out.set(model, {
      resolved: b.reduce((s, r) => s + r.n, 0) + l.reduce((s, r) => s + r.windows, 0),
      open: o?.open ?? 0,
      next_resolution_at: o === undefined ? null : o.next + OUTCOME_GRACE_MS,
      prediction: predictionQuality(b),
      recommendation: recommendationQuality(l),
    });
  }
  return out;
}
