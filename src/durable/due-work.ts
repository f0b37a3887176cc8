/**
 * The table of work a profile owes in the future; the DO's single alarm is always set
 * to the earliest row. Later capabilities add kinds (window expiries, re-scoring).
 */
export type WorkKind = "archive" | "prune" | "registry";

export class DueWork {
  #armedAt: number | null | undefined;

  constructor(
    private readonly sql: SqlStorage,
    private readonly storage: DurableObjectStorage,
  ) {}

  /** Asks for `kind` to run at `at`, or earlier if it is already due sooner. */
  schedule(kind: WorkKind, at: number): void {
    this.sql.exec(
      `INSERT INTO due_work (kind, due_at) VALUES (?, ?)
       ON CONFLICT (kind) DO UPDATE SET due_at = min(due_at, excluded.due_at)`,
      kind,
      at,
    );
  }

  /** Replaces the due time (after a run that has more to do, or a failed one). */
  reschedule(kind: WorkKind, at: number, failed: boolean): void {
    this.sql.exec(
      `UPDATE due_work SET due_at = ?, attempts = CASE WHEN ? THEN attempts + 1 ELSE 0 END WHERE kind = ?`,
      at,
      failed ? 1 : 0,
      kind,
    );
  }

  done(kind: WorkKind): void {
    this.sql.exec("DELETE FROM due_work WHERE kind = ?", kind);
  }

  due(now: number): { kind: WorkKind; attempts: number }[] {
    return this.sql
      .exec<{ kind: WorkKind; attempts: number }>(
        "SELECT kind, attempts FROM due_work WHERE due_at <= ? ORDER BY due_at",
        now,
      )
      .toArray();
  }

  /** Points the alarm at the earliest due work (or clears it); skips the call when unchanged. */
  async arm(): Promise<void> {
    const next = this.sql.exec<{ at: number | null }>("SELECT min(due_at) AS at FROM due_work").one().at;
    if (this.#armedAt === undefined) this.#armedAt = await this.storage.getAlarm();
    if (next === this.#armedAt) return;
    if (next === null) await this.storage.deleteAlarm();
    else await this.storage.setAlarm(next);
    this.#armedAt = next;
  }

  /** The alarm has fired and is no longer set. */
  fired(): void {
    this.#armedAt = null;
  }
}
