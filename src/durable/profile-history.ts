import type { TailorEvent } from "../core/event";
import { applyUserProperties } from "../core/user-properties";
import type { EventStore } from "./event-store";
import type { ProfileState } from "./profile-state";
import type { DeviceHistory } from "./rpc";

/**
 * Writing a profile's history: new events (deduplicated by insert_id, user properties
 * applied in order) and a linked device's history. Runs inside the caller's transaction.
 */
export class ProfileHistory {
  constructor(
    readonly events: EventStore,
    readonly dedupeMs: number,
  ) {}

  append(state: ProfileState, events: readonly TailorEvent[], now: number): { fresh: TailorEvent[]; duplicates: number; propsChanged: boolean } {
    const fresh: TailorEvent[] = [];
    let duplicates = 0;
    let propsChanged = false;
    for (const event of events) {
      if (!this.#claim(event, now)) {
        duplicates++;
        continue;
      }
      this.events.append(++state.lastSeq, event, false);
      recordSeen(state, event);
      if (Object.keys(event.user_properties).length > 0) {
        state.properties = applyUserProperties(state.properties, event.user_properties);
        propsChanged = true;
      }
      fresh.push(event);
    }
    return { fresh, duplicates, propsChanged };
  }

  /**
   * The device's events join the user's (already archived by the device, so not again);
   * its properties fill in what the user does not have — the user's own values win.
   */
  importDevice(state: ProfileState, history: DeviceHistory, userId: string, now: number): TailorEvent[] {
    const imported: TailorEvent[] = [];
    for (const event of history.events) {
      if (!this.#claim(event, now)) continue;
      const owned = { ...event, user_id: userId };
      this.events.append(++state.lastSeq, owned, true);
      recordSeen(state, owned);
      imported.push(owned);
    }
    for (const [key, value] of Object.entries(history.properties)) {
      if (!(key in state.properties)) state.properties[key] = value;
    }
    return imported;
  }

  #claim(event: TailorEvent, now: number): boolean {
    return event.insert_id === undefined || this.events.claimInsertId(event.insert_id, now, this.dedupeMs);
  }
}

function recordSeen(state: ProfileState, event: TailorEvent): void {
  state.eventCount++;
  state.firstSeen = Math.min(state.firstSeen ?? event.time, event.time);
  state.lastSeen = Math.max(state.lastSeen ?? event.time, event.time);
  if (event.device_id !== undefined) state.lastDeviceId = event.device_id;
}
