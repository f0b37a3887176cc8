/** Failed work is retried after 5 s, doubling up to an hour. */
const RETRY_BASE_MS = 5_000;
const RETRY_MAX_MS = 3_600_000;

/**
 * The table of work a profile owes in the future; the DO's single alarm is always set
 * to the earliest row. Later capabilities add kinds (window expiries, re-scoring).
 * Due times are mirrored in memory so the hot path only writes when a time moves.
 */
export type WorkKind = "archive" | "prune" | "registry" | "segments" | "memberships" | "score" | "outcomes";

/**
 * Work that holds no alarm of its own: it runs when the alarm fires for other work, or
 * when the profile is next called (a write, a backfill, the daily reconciliation
 * that asks every profile). Every pending alarm costs the local runtime memory for as
 * long as it waits (workerd keeps each one in memory, ~2 kB), and pruning a week-old
 * visitor's dedupe window is no reason to hold one per profile ever seen.
 */
export const LAZY_WORK: ReadonlySet<WorkKind> = new Set<WorkKind>(["prune"]);

export class DueWork {
  readonly #due = new Map<WorkKind, number>();
  #armedAt: number | null | undefined;
  /** Set once the profile was erased: its table is gone, and a run still suspended must not write it again. */
  #retired = false;

  constructor(
    private readonly sql: SqlStorage,
    private readonly storage: DurableObjectStorage,
  ) {}

  /** Loads the table (once the schema exists). */
  load(): void {
    for (const row of this.sql.exec<{ kind: WorkKind; due_at: number }>("SELECT kind, due_at FROM due_work")) {
      this.#due.set(row.kind, row.due_at);
    }
  }

  /** Asks for `kind` to run at `at`, or earlier if it is already due sooner. */
  schedule(kind: WorkKind, at: number): void {
    if (this.#retired) return;
    const current = this.#due.get(kind);
    if (current !== undefined && current <= at) return;
    this.#due.set(kind, at);
    this.sql.exec(
      `INSERT INTO due_work (kind, due_at) VALUES (?, ?) ON CONFLICT (kind) DO UPDATE SET due_at = excluded.due_at`,
      kind,
      at,
    );
  }

  /** Replaces the due time (after a run that has more to do, or a failed one). */
  reschedule(kind: WorkKind, at: number, failed: boolean): void {
    if (this.#retired) return;
    this.#due.set(kind, at);
    this.sql.exec(
      `UPDATE due_work SET due_at = ?, attempts = CASE WHEN ? THEN attempts + 1 ELSE 0 END WHERE kind = ?`,
      at,
      failed ? 1 : 0,
      kind,
    );
  }

  done(kind: WorkKind): void {
    if (this.#retired) return;
    this.#due.delete(kind);
    this.sql.exec("DELETE FROM due_work WHERE kind = ?", kind);
  }

  due(now: number): { kind: WorkKind; attempts: number }[] {
    return this.sql
      .exec<{ kind: WorkKind; attempts: number }>("SELECT kind, attempts FROM due_work WHERE due_at <= ? ORDER BY due_at", now)
      .toArray();
  }

  /** Whether lazy work (LAZY_WORK) is due: the profile's caller runs it (runDue with `only`). */
  lazyDue(now: number): boolean {
    for (const kind of LAZY_WORK) if ((this.#due.get(kind) ?? Infinity) <= now) return true;
    return false;
  }

  /** Points the alarm at the earliest due work that holds one (or clears it); skips the call when unchanged. */
  async arm(): Promise<void> {
    if (this.#retired) return;
    const times = [...this.#due].filter(([kind]) => !LAZY_WORK.has(kind)).map(([, at]) => at);
    const next = times.length === 0 ? null : Math.min(...times);
    if (this.#armedAt === undefined) this.#armedAt = await this.storage.getAlarm();
    if (next === this.#armedAt) return;
    if (next === null) await this.storage.deleteAlarm();
    else await this.storage.setAlarm(next);
    this.#armedAt = next;
  }

  /** The profile was erased (with this table and its alarm): from now on this does nothing. */
  retire(): void {
    this.#retired = true;
    this.#due.clear();
  }

  /** The alarm has fired and is no longer set. */
  fired(): void {
    this.#armedAt = null;
  }

  /**
   * Runs every kind of work that is due (or only those of `only`): each returns when it is
   * next due (or null when done); a failure is retried with exponential backoff. Then
   * re-arms the alarm.
   */
  async runDue(run: (kind: WorkKind, now: number) => Promise<number | null>, only?: ReadonlySet<WorkKind>): Promise<void> {
    const now = Date.now();
    for (const { kind, attempts } of this.due(now)) {
      if (this.#retired) return;
      if (only !== undefined && !only.has(kind)) continue;
      try {
        const next = await run(kind, now);
        if (next === null) this.done(kind);
        else this.reschedule(kind, next, false);
      } catch (err) {
        console.error(`profile work ${kind} failed (attempt ${attempts + 1})`, err);
        this.reschedule(kind, Date.now() + Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** attempts), true);
      }
    }
    await this.arm();
  }
}
