import type { TailorEvent } from "../core/event";

/** The profile's stored events and the insert_id window, over the DO's SQLite. */
export class EventStore {
  constructor(private readonly sql: SqlStorage) {}

  /** True when `insertId` was accepted within the dedupe window; otherwise remembers it. */
  claimInsertId(insertId: string, now: number, dedupeMs: number): boolean {
    const seen = this.sql.exec("SELECT 1 FROM dedupe WHERE insert_id = ? AND expires_at > ?", insertId, now).toArray();
    if (seen.length > 0) return false;
    this.sql.exec(
      "INSERT INTO dedupe (insert_id, expires_at) VALUES (?, ?) ON CONFLICT (insert_id) DO UPDATE SET expires_at = excluded.expires_at",
      insertId,
      now + dedupeMs,
    );
    return true;
  }

  append(event: TailorEvent, archived: boolean): void {
    this.sql.exec(
      "INSERT INTO events (uuid, insert_id, event_type, time, body, archived) VALUES (?, ?, ?, ?, ?, ?)",
      event.uuid,
      event.insert_id ?? null,
      event.event_type,
      event.time,
      JSON.stringify(event),
      archived ? 1 : 0,
    );
  }

  /** Events in arrival order, oldest first. */
  list(limit: number, afterSeq = 0): TailorEvent[] {
    return this.sql
      .exec<{ body: string }>("SELECT body FROM events WHERE seq > ? ORDER BY seq LIMIT ?", afterSeq, limit)
      .toArray()
      .map((r) => JSON.parse(r.body) as TailorEvent);
  }

  /** The newest events first. */
  recent(limit: number): TailorEvent[] {
    return this.sql
      .exec<{ body: string }>("SELECT body FROM events ORDER BY seq DESC LIMIT ?", limit)
      .toArray()
      .map((r) => JSON.parse(r.body) as TailorEvent);
  }

  /** The oldest events not yet written to the archive. */
  outbox(limit: number): { seq: number; event: TailorEvent }[] {
    return this.sql
      .exec<{ seq: number; body: string }>("SELECT seq, body FROM events WHERE archived = 0 ORDER BY seq LIMIT ?", limit)
      .toArray()
      .map((r) => ({ seq: r.seq, event: JSON.parse(r.body) as TailorEvent }));
  }

  markArchived(upToSeq: number): void {
    this.sql.exec("UPDATE events SET archived = 1 WHERE archived = 0 AND seq <= ?", upToSeq);
  }

  hasOutbox(): boolean {
    return this.sql.exec("SELECT 1 FROM events WHERE archived = 0 LIMIT 1").toArray().length > 0;
  }

  /**
   * Drops archived events older than the retention cutoff and expired insert_ids.
   * Returns when the next one will expire, or null when nothing is left to expire.
   */
  prune(now: number, retentionMs: number): number | null {
    this.sql.exec("DELETE FROM events WHERE time < ? AND archived = 1", now - retentionMs);
    this.sql.exec("DELETE FROM dedupe WHERE expires_at <= ?", now);
    const oldest = this.sql.exec<{ t: number | null }>("SELECT min(time) AS t FROM events").one().t;
    const dedupe = this.sql.exec<{ t: number | null }>("SELECT min(expires_at) AS t FROM dedupe").one().t;
    const next = [oldest === null ? null : oldest + retentionMs, dedupe].filter((t): t is number => t !== null);
    return next.length === 0 ? null : Math.min(...next);
  }
}
