/** Failed work is retried after 5 s, doubling up to an hour. */
const RETRY_BASE_MS = 5_000;
const RETRY_MAX_MS = 3_600_000;

/**
 * The table of work a Durable Object owes in the future, by kind; the DO's single alarm
 * is always set to the earliest row. Due times are mirrored in memory so a hot path only
 * writes when a time moves. A profile's kinds:
 */
export type WorkKind = "archive" | "prune" | "registry" | "segments" | "memberships" | "score" | "outcomes";

/** The table, for an object whose schema has no migration list of its own (UserProfile's has it in schema.ts). */
export const DUE_WORK_TABLE =
  "CREATE TABLE IF NOT EXISTS due_work (kind TEXT PRIMARY KEY, due_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID";

/**
 * Work that holds no alarm of its own: it runs when the alarm fires for other work, or
 * when the profile is next called (a write, a backfill, the daily reconciliation
 * that asks every profile). Every pending alarm costs the local runtime memory for as
 * long as it waits (workerd keeps each one in memory, ~2 kB), and pruning a week-old
 * visitor's dedupe window is no reason to hold one per profile ever seen.
 */
export const LAZY_WORK: ReadonlySet<WorkKind> = new Set<WorkKind>(["prune"]);

export class DueWork<K extends string> {
  readonly #due = new Map<K, number>();
  #armedAt: number | null | undefined;
  /** Set once the profile was erased: its table is gone, and a run still suspended must not write it again. */
  #retired = false;

  constructor(
    private readonly sql: SqlStorage,
    private readonly storage: DurableObjectStorage,
    /** Kinds that hold no alarm (see LAZY_WORK). */
    private readonly lazy: ReadonlySet<K> = new Set(),
  ) {}

  /** Loads the table (once the schema exists). */
  load(): void {
    for (const row of this.sql.exec<{ kind: K; due_at: number }>("SELECT kind, due_at FROM due_work")) {
      this.#due.set(row.kind, row.due_at);
    }
  }

  /** Asks for `kind` to run at `at`, or earlier if it is already due sooner. */
  schedule(kind: K, at: number): void {
    if (this.#retired) return;
    const current = this.#due.get(kind);
    if (current !== undefined && current <= at) return;
    this.#due.set(kind, at);
    this.sql.exec(`INSERT INTO due_work (kind, due_at) VALUES (?, ?) ON CONFLICT (kind) DO UPDATE SET due_at = excluded.due_at`, kind, at);
  }

  /** Replaces the due time (after a run that has more to do, or a failed one). */
  reschedule(kind: K, at: number, failed: boolean): void {
    if (this.#retired) return;
    this.#due.set(kind, at);
    this.sql.exec(`UPDATE due_work SET due_at = ?, attempts = CASE WHEN ? THEN attempts + 1 ELSE 0 END WHERE kind = ?`, at, failed ? 1 : 0, kind);
  }

  done(kind: K): void {
    if (this.#retired) return;
    this.#due.delete(kind);
    this.sql.exec("DELETE FROM due_work WHERE kind = ?", kind);
  }

  due(now: number): { kind: K; attempts: number }[] {
    return this.sql.exec<{ kind: K; attempts: number }>("SELECT kind, attempts FROM due_work WHERE due_at <= ? ORDER BY due_at", now).toArray();
  }

  /** Whether lazy work is due: the profile's caller runs it (runDue with `only`). */
  lazyDue(now: number): boolean {
    for (const kind of this.lazy) if ((this.#due.get(kind) ?? Infinity) <= now) return true;
    return false;
  }

  /** Points the alarm at the earliest due work that holds one (or clears it); skips the call when unchanged. */
  async arm(): Promise<void> {
    if (this.#retired) return;
    const times = [...this.#due].filter(([kind]) => !this.lazy.has(kind)).map(([, at]) => at);
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
  async runDue(run: (kind: K, now: number) => Promise<number | null>, only?: ReadonlySet<K>): Promise<void> {
    const now = Date.now();
    for (const { kind, attempts } of this.due(now)) {
      if (this.#retired) return;
      if (only !== undefined && !only.has(kind)) continue;
      try {
        const next = await run(kind, now);
        if (next === null) this.done(kind);
        else this.reschedule(kind, next, false);
      } catch (err) {
        console.error(`due work ${kind} failed (attempt ${attempts + 1})`, err);
        this.reschedule(kind, Date.now() + Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** attempts), true);
      }
    }
    await this.arm();
  }
}
