import { z } from "zod";
import { hash32 } from "./hash";
import { eventSpecSchema } from "./segments/schema";

/**
 * A measured holdout: a stable share of users left out (of all personalization, or of
 * one sync), and the goal whose conversions within the window after each user's
 * exposure compare those left out with the rest (core/lift.ts).
 */
export const holdoutSchema = z.object({
  percent: z.number().min(0).max(50).default(0),
  goal: z.object({ event: eventSpecSchema }).optional(),
  attribution_days: z.number().int().min(1).max(90).default(7),
  value_property: z.string().min(1).max(200).default("revenue"),
});
export type Holdout = z.infer<typeof holdoutSchema>;

/** Whether a profile is held out: a hash of what holds it out (`salt`) and the profile, so it never moves while the share stays. */
export function heldOut(salt: string, profileKey: string, percent: number): boolean {
  if (percent <= 0) return false;
  return (hash32(`${salt}\u0000${profileKey}`) / 2 ** 32) * 100 < percent;
}

/** What a profile records when exposed to a measured holdout (nothing when the holdout is not measured: no share or no goal). */
export interface HoldoutExposure {
  control: boolean;
  goal: z.infer<typeof eventSpecSchema>;
  valueProperty: string;
  attributionDays: number;
}

export function holdoutExposure(h: Holdout, control: boolean): HoldoutExposure | undefined {
  return h.percent > 0 && h.goal !== undefined
    ? { control, goal: h.goal.event, valueProperty: h.value_property, attributionDays: h.attribution_days }
    : undefined;
}
