/**
 * One loaded value per owner (a prediction's or recommendation's active model version):
 * asking for another version retires the one held, so an isolate holds one session per
 * definition however often it is retrained. A retired value is disposed of once it has
 * been retired for `graceMs` (a profile may still be scoring with it), on a later call.
 */
export class LatestPerOwner<T> {
  readonly #held = new Map<string, { key: string; value: Promise<T> }>();
  #retiring: { value: Promise<T>; at: number }[] = [];

  constructor(
    private readonly dispose: (value: T) => unknown,
    private readonly graceMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  get(owner: string, key: string, load: () => Promise<T>): Promise<T> {
    this.#disposeRetired();
    const held = this.#held.get(owner);
    if (held?.key === key) return held.value;
    if (held !== undefined) this.#retiring.push({ value: held.value, at: this.now() });
    const value = load();
    this.#held.set(owner, { key, value });
    value.catch(() => {
      if (this.#held.get(owner)?.value === value) this.#held.delete(owner);
    });
    return value;
  }

  /** Values held (one per owner) and retired but not yet disposed of. */
  get size(): { held: number; retiring: number } {
    return { held: this.#held.size, retiring: this.#retiring.length };
  }

  #disposeRetired(): void {
    if (this.#retiring.length === 0) return; // the common case, on every score
    const cutoff = this.now() - this.graceMs;
    const due = this.#retiring.filter((r) => r.at <= cutoff);
    if (due.length === 0) return;
    this.#retiring = this.#retiring.filter((r) => r.at > cutoff);
    for (const r of due) r.value.then(this.dispose, () => {}).catch((err) => console.warn("disposing a retired model failed", err));
  }
}
