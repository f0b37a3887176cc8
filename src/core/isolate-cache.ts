/**
 * The one per-isolate cache. Every value an isolate keeps between requests (key lookups,
 * project settings, definitions and their version, session keys, model sessions) lives
 * in a named namespace with a size bound — the least recently used entry goes first —
 * and a time to live, so an isolate's memory is bounded by these policies, never by how
 * many projects, keys or models it has seen. Concurrent misses of one key share a load;
 * a failed load is not kept. `dispose` is told of every value that leaves.
 */
export interface CachePolicy<V> {
  maxEntries: number;
  /** Milliseconds a value stays fresh after it was stored (Infinity: until evicted). */
  ttlMs: number;
  /** A per-value time to live (e.g. a shorter one for "not found"). */
  ttlOf?: (value: V) => number;
  /** Each use extends the value's life by its time to live (an idle value expires). */
  sliding?: boolean;
  dispose?: (value: V) => void;
}

interface Entry<V> {
  value: V;
  expires: number;
  ttl: number;
}

export class CacheNamespace<V> {
  /** Map order is recency: a hit moves its key to the end, eviction takes the first. */
  readonly #entries = new Map<string, Entry<V>>();
  readonly #loading = new Map<string, Promise<V>>();

  constructor(
    readonly name: string,
    private readonly policy: CachePolicy<V>,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  /** The fresh value for `key`, or undefined (an expired one is dropped). */
  get(key: string): V | undefined {
    this.#expireOldest();
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    const now = this.now();
    if (entry.expires <= now) {
      this.#drop(key, entry);
      return undefined;
    }
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    if (this.policy.sliding) entry.expires = now + entry.ttl;
    return entry.value;
  }

  set(key: string, value: V): void {
    const previous = this.#entries.get(key);
    if (previous !== undefined) this.#drop(key, previous);
    const ttl = this.policy.ttlOf?.(value) ?? this.policy.ttlMs;
    this.#entries.set(key, { value, expires: this.now() + ttl, ttl });
    this.#expireOldest();
    while (this.#entries.size > this.policy.maxEntries) {
      const [oldest, entry] = this.#entries.entries().next().value as [string, Entry<V>];
      this.#drop(oldest, entry);
    }
  }

  /** The cached value, or `load()`'s (one load at a time per key; a failed load is not kept). */
  async load(key: string, load: () => Promise<V>): Promise<V> {
    const hit = this.get(key);
    if (hit !== undefined) return hit;
    const pending = this.#loading.get(key);
    if (pending !== undefined) return pending;
    const loading = load();
    this.#loading.set(key, loading);
    try {
      const value = await loading;
      if (this.#loading.get(key) === loading) this.set(key, value);
      return value;
    } finally {
      if (this.#loading.get(key) === loading) this.#loading.delete(key);
    }
  }

  delete(key: string): void {
    const entry = this.#entries.get(key);
    if (entry !== undefined) this.#drop(key, entry);
    this.#loading.delete(key);
  }

  clear(): void {
    for (const [key, entry] of [...this.#entries]) this.#drop(key, entry);
    this.#loading.clear();
  }

  /** Expired entries at the front of the recency order (the least recently used) go without waiting for their own lookup. */
  #expireOldest(): void {
    const now = this.now();
    for (const [key, entry] of this.#entries) {
      if (entry.expires > now) return;
      this.#drop(key, entry);
    }
  }

  #drop(key: string, entry: Entry<V>): void {
    this.#entries.delete(key);
    this.policy.dispose?.(entry.value);
  }
}

const namespaces = new Map<string, CacheNamespace<unknown>>();

/** A namespace of the isolate's cache, declared once by the module that owns it. */
export function cacheNamespace<V>(name: string, policy: CachePolicy<V>, now?: () => number): CacheNamespace<V> {
  const created = new CacheNamespace<V>(name, policy, now);
  namespaces.set(name, created as CacheNamespace<unknown>);
  return created;
}

/** Entries held per namespace (what this isolate's caches hold now). */
export function cacheSizes(): Record<string, number> {
  return Object.fromEntries([...namespaces].map(([name, ns]) => [name, ns.size]));
}

/**
 * One loaded value per owner (a prediction's or recommendation's active model version),
 * on a namespace of its own: asking for another version retires the one held, and so
 * do the size bound and the idle time to live (a deleted definition's session goes too).
 * A retired value is disposed of once retired for `graceMs` (a profile may still be
 * scoring with it), on a later call: no timer outlives a request.
 */
export class LatestPerOwner<T> {
  readonly #held: CacheNamespace<{ key: string; value: Promise<T> }>;
  readonly #graceMs: number;
  readonly #now: () => number;
  #retiring: { value: Promise<T>; at: number }[] = [];

  constructor(
    name: string,
    private readonly dispose: (value: T) => unknown,
    {
      graceMs = 30_000,
      maxOwners = 64,
      idleMs = 30 * 60_000,
      now = Date.now,
    }: { graceMs?: number; maxOwners?: number; idleMs?: number; now?: () => number } = {},
  ) {
    this.#graceMs = graceMs;
    this.#now = now;
    this.#held = cacheNamespace(
      name,
      { maxEntries: maxOwners, ttlMs: idleMs, sliding: true, dispose: (held) => this.#retiring.push({ value: held.value, at: this.#now() }) },
      now,
    );
  }

  get(owner: string, key: string, load: () => Promise<T>): Promise<T> {
    this.#disposeRetired();
    const held = this.#held.get(owner);
    if (held?.key === key) return held.value;
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
    const cutoff = this.#now() - this.#graceMs;
    const due = this.#retiring.filter((r) => r.at <= cutoff);
    if (due.length === 0) return;
    this.#retiring = this.#retiring.filter((r) => r.at > cutoff);
    for (const r of due) r.value.then(this.dispose, () => {}).catch((err) => console.warn("disposing a retired model failed", err));
  }
}
