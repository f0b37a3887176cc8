import { and, eq, sql } from "drizzle-orm";
import { liftReport, type ArmCounts, type LiftReport } from "../core/lift";
import { recExposures } from "../db/schema";
import type { Db } from "./db";

const DAY_MS = 86_400_000;

export interface DailyArms {
  /** UTC day of exposure, YYYY-MM-DD. */
  day: string;
  treatment: { users: number; conversions: number };
  control: { users: number; conversions: number };
}

export interface ExposurePerformance {
  report: LiftReport;
  /** Users first exposed each day and how many of them converted (so far). */
  daily: DailyArms[];
}

const empty = (): ArmCounts => ({ users: 0, conversions: 0, value: { sum: 0, sum_squares: 0 } });

/** A recommendation's lift (or the global control group's: `global`), from its exposures in D1 (aggregated there: one row per arm, and per arm and day). */
export async function exposurePerformance(d: Db, projectId: string, ownerId: string): Promise<ExposurePerformance> {
  const scope = and(eq(recExposures.projectId, projectId), eq(recExposures.recId, ownerId));
  const converted = sql<number>`SUM(${recExposures.conversions} > 0)`;
  const day = sql<number>`CAST(${recExposures.exposedAt} / ${DAY_MS} AS INTEGER)`;
  const [arms, days] = await Promise.all([
    d
      .select({
        variant: recExposures.variant,
        users: sql<number>`COUNT(*)`,
        conversions: converted,
        sum: sql<number>`SUM(${recExposures.value})`,
        sum_squares: sql<number>`SUM(${recExposures.value} * ${recExposures.value})`,
      })
      .from(recExposures)
      .where(scope)
      .groupBy(recExposures.variant),
    d
      .select({ day: day.as("day"), variant: recExposures.variant, users: sql<number>`COUNT(*)`, conversions: converted })
      .from(recExposures)
      .where(scope)
      .groupBy(sql`day`, recExposures.variant)
      .orderBy(sql`day`),
  ]);
  const arm = (variant: "treatment" | "control"): ArmCounts => {
    const r = arms.find((a) => a.variant === variant);
    return r === undefined ? empty() : { users: r.users, conversions: r.conversions, value: { sum: r.sum, sum_squares: r.sum_squares } };
  };
  const daily = new Map<number, DailyArms>();
  for (const r of days) {
    const row = daily.get(r.day) ?? {
      day: new Date(r.day * DAY_MS).toISOString().slice(0, 10),
      treatment: { users: 0, conversions: 0 },
      control: { users: 0, conversions: 0 },
    };
    row[r.variant] = { users: r.users, conversions: r.conversions };
    daily.set(r.day, row);
  }
  return { report: liftReport(arm("treatment"), arm("control")), daily: [...daily.values()] };
}
