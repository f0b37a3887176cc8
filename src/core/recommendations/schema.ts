import { z } from "zod";
import { eventSpecSchema, filterSchema } from "../segments/schema";

/**
 * A recommendation: the items (named by a property of an item event) each user is most
 * likely to take up next, ranked towards a goal. The model is trained offline from the
 * archive; the profile ranks from its own live item history.
 */
export const recommendationSchema = z.object({
  /** Where items come from: e.g. `Product Viewed` events and their `product_id`. */
  item: z.object({ event: eventSpecSchema, property: z.string().min(1).max(200) }),
  /** What the ranking favours; defaults to the item event itself. Carries the item property when it can be excluded. */
  goal: z.object({ event: eventSpecSchema }).optional(),
  count: z.number().int().min(1).max(100).default(10),
  exclude: z
    .object({
      /** Items the user already had an item event with. */
      interacted: z.boolean().default(true),
      /** Items the user already reached the goal with (goal events carrying the item property). */
      converted: z.boolean().default(true),
      items: z.array(z.string().min(1).max(1024)).max(10_000).default([]),
      /** Items whose (last seen) properties fail any of these filters are never shown. */
      where: z.array(filterSchema).max(20).default([]),
    })
    .prefault({}),
  /** A stable share of users gets a baseline instead, to measure the model's lift. */
  control: z
    .object({
      percent: z.number().min(0).max(100).default(0),
      strategy: z.enum(["popular", "random"]).default("popular"),
    })
    .prefault({}),
  /** Lift: a shown user's goal events count as conversions for this many days after their first exposure (only on a listed item, when set), with the goal's value property. */
  attribution: z
    .object({
      days: z.number().int().min(1).max(90).default(7),
      on_recommended_item: z.boolean().default(false),
      value_property: z.string().min(1).max(200).default("revenue"),
    })
    .prefault({}),
  /** What users without item history get (before a model exists, every user gets an empty list, source `none`). */
  fallback: z.enum(["popular", "none"]).default("popular"),
  /** The item-event property shown as an item's name in the admin UI (default: the first of name, title, description … the items carry). */
  label_property: z.string().min(1).max(200).optional(),
});
export type Recommendation = z.infer<typeof recommendationSchema>;

/** The goal as an event spec (the item event when none is set). */
export function goalEvent(r: Recommendation) {
  return r.goal?.event ?? r.item.event;
}
