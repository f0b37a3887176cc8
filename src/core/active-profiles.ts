/**
 * Admission control for profile activations. A profile's Durable Object stays in memory
 * for a while after its last request (workerd frees an idle object ~10 s after its last
 * request ends), and each resident object costs a fixed amount of memory (its SQLite
 * connection, page cache and prepared statements, several hundred kB). So the memory a
 * local server needs is bounded by how many distinct profiles were addressed within that
 * residency: this window counts them and refuses a request that would take the count
 * past its bound, saying when enough of the oldest will have expired to let it in.
 * Profiles already in the window cost nothing more.
 */
export type Admission = { ok: true } | { ok: false; retryAfterMs: number };

/** The share of the bound kept for background jobs while one runs (core/admission.ts). */
export const JOB_SHARE = 0.5;

export class ActiveProfiles {
  /** Last time each profile was addressed, oldest first (a re-address moves it to the end). */
  readonly #lastAt = new Map<string, number>();

  constructor(
    readonly bound: number,
    readonly windowMs: number,
  ) {
    if (!(bound > 0) || !(windowMs > 0)) throw new Error("ActiveProfiles needs a positive bound and window");
  }

  /** How many distinct profiles were addressed within the window, as of `now`. */
  size(now: number): number {
    this.#expire(now);
    return this.#lastAt.size;
  }

  /** Whether `key` was addressed within the window. */
  has(key: string, now: number): boolean {
    this.#expire(now);
    return this.#lastAt.has(key);
  }

  /**
   * Admits a request addressing `keys` (all or nothing). Always admits when nothing else is
   * active, so a single request larger than the bound still gets through alone. With a
   * `share` below 1 the request fits only under that share of the bound; `othersHeld`
   * profiles counted elsewhere (woken by their alarms) take room from it too.
   */
  admit(keys: readonly string[], now: number, share = 1, othersHeld = 0): Admission {
    this.#expire(now);
    const fresh = new Set(keys.filter((k) => !this.#lastAt.has(k)));
    const over = this.#lastAt.size + othersHeld + fresh.size - Math.max(1, Math.floor(this.bound * share));
    // Profiles already in the window cost nothing, even when a lower share is already full.
    if (fresh.size > 0 && over > 0 && this.#lastAt.size + othersHeld > 0) {
      // The `over`-th oldest entry's expiry frees enough room (or all of it, if fewer remain;
      // the others' entries have all expired a window from now).
      let freedAt = now;
      let n = 0;
      for (const at of this.#lastAt.values()) {
        freedAt = at + this.windowMs;
        if (++n >= over) break;
      }
      if (n < over && othersHeld > 0) freedAt = now + this.windowMs;
      return { ok: false, retryAfterMs: Math.max(1, freedAt - now) };
    }
    for (const key of keys) this.touch(key, now);
    return { ok: true };
  }

  /** Counts `key` as addressed now, whatever the bound (a profile that is resident already). */
  touch(key: string, now: number): void {
    this.#lastAt.delete(key);
    this.#lastAt.set(key, now);
  }

  #expire(now: number): void {
    for (const [key, at] of this.#lastAt) {
      if (at + this.windowMs > now) break;
      this.#lastAt.delete(key);
    }
  }
}
