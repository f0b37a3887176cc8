import type { TailorEvent } from "../core/event";
import type { ProfileState } from "./profile-state";
import { ensureSchema } from "./schema";

/**
 * Privacy deletion inside a profile's Durable Object, and the rule for events that
 * arrive later for an erased id.
 *
 * Erasing deletes the object's whole SQLite database (`storage.deleteAll()`: events,
 * properties, segment state, dedupe ids, outboxes, due work) and its alarm, then
 * recreates the empty schema with one row: the tombstone, the instant of erasure.
 * Nothing else survives.
 *
 * The late-event rule (Amplitude-like): an event whose event `time` is at or before
 * the tombstone is acknowledged and dropped — a retry or a late upload from before the
 * deletion never resurrects the profile. A later event starts a fresh, empty profile
 * (the tombstone stays, so old events keep being dropped). The check costs nothing on
 * the hot path: the tombstone is read once when the object starts, and every event of
 * the id passes through this object anyway.
 */
export interface EraseRequest {
  /** Erase a device profile only while it is linked to this user (a shared device that moved on to another user keeps its link). */
  ifLinkedTo?: string;
}

export interface EraseResult {
  /** False when there was nothing (more) to erase: erased before, or a device linked elsewhere. */
  erased: boolean;
  /** The tombstone: events of this id up to this instant (event time) are dropped. Null if none was written. */
  erasedAt: number | null;
}

export class ProfileErasure {
  #erasedAt: number | undefined;

  constructor(private readonly storage: DurableObjectStorage) {
    const sql = storage.sql;
    // The table comes with the schema (schema.ts); an object erased by an older version holds only it.
    if (sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'erasure'").toArray().length > 0) {
      this.#erasedAt = sql.exec<{ at: number }>("SELECT erased_at AS at FROM erasure").toArray()[0]?.at;
    }
  }

  /** The events the late-event rule lets through (all of them unless this id was erased). */
  admit(events: TailorEvent[]): TailorEvent[] {
    const cut = this.#erasedAt;
    return cut === undefined ? events : events.filter((e) => e.time > cut);
  }

  /**
   * Erases the profile (`state` is what the object holds, undefined when it holds
   * nothing). Idempotent: erasing again answers the existing tombstone.
   */
  async erase(state: ProfileState | undefined, req: EraseRequest): Promise<EraseResult> {
    if (state === undefined) {
      // Nothing stored: already erased (answer its tombstone), or a device with nothing to erase.
      if (this.#erasedAt !== undefined || req.ifLinkedTo !== undefined) return { erased: false, erasedAt: this.#erasedAt ?? null };
    } else if (req.ifLinkedTo !== undefined && state.linkedUser !== req.ifLinkedTo) {
      return { erased: false, erasedAt: null };
    }
    const now = Math.max(Date.now(), (this.#erasedAt ?? 0) + 1);
    await this.storage.deleteAlarm();
    await this.storage.deleteAll();
    // The schema again (empty tables), then the tombstone as its only row.
    ensureSchema(this.storage, (sql) => sql.exec("INSERT INTO erasure (id, erased_at) VALUES (1, ?)", now));
    this.#erasedAt = now;
    // Work suspended mid-way (an ingest awaiting D1, an alarm awaiting R2) stops at its
    // next await (UserProfile's generation check); should a path miss that check, the state
    // it holds is frozen: its next change throws and rolls its transaction back.
    if (state !== undefined) Object.freeze(state);
    return { erased: state !== undefined, erasedAt: now };
  }
}
