import type { TailorEvent } from "../core/event";

/**
 * The profile's stored events and its insert_id window, over the DO's SQLite.
 * Sequence numbers and the archive cursor live in the profile state (the caller's).
 */
export class EventStore {
  constructor(private readonly sql: SqlStorage) {}

  /**
   * Remembers `insertId` for the dedupe window; false when it was already seen within it.
   * One statement: an unexpired row makes the upsert a no-op (0 rows written).
   */
  claimInsertId(insertId: string, now: number, dedupeMs: number): boolean {
    const cursor = this.sql.exec(
      `INSERT INTO dedupe (insert_id, expires_at) VALUES (?, ?)
       ON CONFLICT (insert_id) DO UPDATE SET expires_at = excluded.expires_at WHERE expires_at <= ?`,
      insertId,
      now + dedupeMs,
      now,
    );
    return cursor.rowsWritten > 0;
  }

  append(seq: number, event: TailorEvent, imported: boolean): void {
    this.sql.exec(
      "INSERT INTO events (seq, uuid, insert_id, event_type, time, body, imported) VALUES (?, ?, ?, ?, ?, ?, ?)",
      seq,
      event.uuid,
      event.insert_id ?? null,
      event.event_type,
      event.time,
      JSON.stringify(event),
      imported ? 1 : 0,
    );
  }

  /** Events in arrival order, oldest first. */
  list(limit: number, afterSeq = 0): TailorEvent[] {
    return this.sql
      .exec<{ body: string }>("SELECT body FROM events WHERE seq > ? ORDER BY seq LIMIT ?", afterSeq, limit)
      .toArray()
      .map((r) => JSON.parse(r.body) as TailorEvent);
  }

  /** The newest events first, by event time (imported device events interleave). */
  recent(limit: number): TailorEvent[] {
    return this.sql
      .exec<{ body: string }>("SELECT body FROM events ORDER BY time DESC, seq DESC LIMIT ?", limit)
      .toArray()
      .map((r) => JSON.parse(r.body) as TailorEvent);
  }

  /** This profile's own events after the archive cursor, oldest first. */
  outbox(afterSeq: number, limit: number): { seq: number; event: TailorEvent }[] {
    return this.sql
      .exec<{ seq: number; body: string }>("SELECT seq, body FROM events WHERE seq > ? AND imported = 0 ORDER BY seq LIMIT ?", afterSeq, limit)
      .toArray()
      .map((r) => ({ seq: r.seq, event: JSON.parse(r.body) as TailorEvent }));
  }

  /**
   * Drops events past the retention cutoff that are safely archived (at or before the
   * cursor, or imported) and expired insert_ids. Returns when the next one will expire
   * (null when nothing is left to expire) and the cutoff it pruned events before (null
   * when it pruned none).
   */
  prune(now: number, retentionMs: number, archivedThrough: number): { next: number | null; prunedBefore: number | null } {
    const cutoff = now - retentionMs;
    const pruned = this.sql.exec("DELETE FROM events WHERE time < ? AND (seq <= ? OR imported = 1)", cutoff, archivedThrough).rowsWritten;
    this.sql.exec("DELETE FROM dedupe WHERE expires_at <= ?", now);
    const oldest = this.sql.exec<{ t: number | null }>("SELECT min(time) AS t FROM events").one().t;
    const dedupe = this.sql.exec<{ t: number | null }>("SELECT min(expires_at) AS t FROM dedupe").one().t;
    const next = [oldest === null ? null : oldest + retentionMs, dedupe].filter((t): t is number => t !== null);
    return { next: next.length === 0 ? null : Math.min(...next), prunedBefore: pruned > 0 ? cutoff : null };
  }
}
