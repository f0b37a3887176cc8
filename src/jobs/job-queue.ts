/**
 * A ProjectJobs queue in its storage: jobs run one at a time in order, and a job whose
 * step failed waits out its backoff (`retryAt`) behind the others instead of blocking
 * them. Older queues hold bare ids; they read as due at once.
 */
export type Queued = { id: string; retryAt?: number };

export class JobQueue {
  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly key: string,
  ) {}

  async list(): Promise<Queued[]> {
    return ((await this.storage.get<(Queued | string)[]>(this.key)) ?? []).map((q) => (typeof q === "string" ? { id: q } : q));
  }

  async add(id: string): Promise<void> {
    const queue = await this.list();
    if (!queue.some((q) => q.id === id)) await this.storage.put(this.key, [...queue, { id }]);
  }

  /** The first job due now, if any. */
  async due(now: number): Promise<string | undefined> {
    return (await this.list()).find((q) => (q.retryAt ?? 0) <= now)?.id;
  }

  /** After a step of `id`: keep it at the front (`retryAt` undefined), drop it (`"done"`), or move it to the back until `retryAt`. */
  async after(id: string, next: "done" | "again" | { retryAt: number }): Promise<void> {
    const queue = await this.list();
    const rest = queue.filter((q) => q.id !== id);
    if (next === "again") return;
    await this.storage.put(this.key, next === "done" ? rest : [...rest, { id, retryAt: next.retryAt }]);
  }

  /** Ms until the next job is due (0: now), or null when the queue is empty. */
  async nextInMs(now: number): Promise<number | null> {
    const queue = await this.list();
    return queue.length === 0 ? null : Math.max(0, Math.min(...queue.map((q) => (q.retryAt ?? 0) - now)));
  }
}
