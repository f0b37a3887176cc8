import type { TailorEvent } from "../../core/event";
import type { JsonObject } from "../../core/json";
import { goalEvent, type Recommendation } from "../../core/recommendations/schema";
import { itemKey, type CatalogItem } from "../../core/recommendations/select";
import { eventProperty, matchesSpec } from "../../core/segments/conditions";

/** One user's contact with one item: an item event (`goal` false) or a goal event naming it. */
export interface Interaction {
  user: number;
  item: number;
  time: number;
  goal: boolean;
}

/**
 * Collects a recommendation's interactions from the archive (events in time order):
 * users and items get dense indices, items keep their last seen properties (what the
 * edge's property filters test), goal events without an item count for goal-awareness.
 */
export class InteractionLog {
  readonly users = new Map<string, number>();
  readonly items = new Map<string, number>();
  readonly itemProps: JsonObject[] = [];
  readonly interactions: Interaction[] = [];
  /** Goal events per user (times), with or without an item. */
  readonly goals = new Map<number, number[]>();
  #sameEvent: boolean;

  constructor(readonly rec: Recommendation) {
    this.#sameEvent = JSON.stringify(rec.item.event) === JSON.stringify(goalEvent(rec));
  }

  add(events: readonly TailorEvent[]): void {
    const goal = goalEvent(this.rec);
    for (const e of events) {
      const userKey = e.user_id ?? (e.device_id === undefined ? undefined : `d:${e.device_id}`);
      if (userKey === undefined) continue;
      const isItem = matchesSpec(e, this.rec.item.event);
      const isGoal = this.#sameEvent ? isItem : matchesSpec(e, goal);
      if (!isItem && !isGoal) continue;
      const user = this.#index(this.users, userKey);
      if (isGoal) push(this.goals, user, e.time);
      const value = eventProperty(e, this.rec.item.property);
      if (value === undefined || value === null) continue;
      const item = this.#item(itemKey(value), isItem ? e.event_properties : undefined);
      if (isItem) this.interactions.push({ user, item, time: e.time, goal: false });
      if (isGoal && !this.#sameEvent) this.interactions.push({ user, item, time: e.time, goal: true });
    }
  }

  /** Whether goal events are the item events themselves (goal-awareness is then moot). */
  get goalIsItem(): boolean {
    return this.#sameEvent;
  }

  catalog(): CatalogItem[] {
    const ids = [...this.items.keys()];
    return ids.map((id, i) => ({ id, props: this.itemProps[i]! }));
  }

  #index(map: Map<string, number>, key: string): number {
    let i = map.get(key);
    if (i === undefined) {
      i = map.size;
      map.set(key, i);
    }
    return i;
  }

  #item(id: string, props: JsonObject | undefined): number {
    const i = this.#index(this.items, id);
    if (props !== undefined || this.itemProps[i] === undefined) this.itemProps[i] = stripBulky(props ?? {});
    return i;
  }
}

/** Item properties worth filtering on: scalars only (lists and objects stay out of the index). */
function stripBulky(props: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(props)) if (v === null || typeof v !== "object") out[k] = v;
  return out;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}
