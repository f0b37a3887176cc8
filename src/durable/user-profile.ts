import { DurableObject } from "cloudflare:workers";
import { drizzle } from "drizzle-orm/d1";
import { sql as dsql } from "drizzle-orm";
import { archiveKey, hourOf, toNdjson } from "../core/archive";
import { readConfig, type TailorConfig } from "../core/config";
import { sha256Hex } from "../core/hash";
import { profileKey, profileObjectName, type ProfileRef, type TailorEvent } from "../core/event";
import { fullBucket, takeTokens, type TokenBucket } from "../core/throttle";
import { applyUserProperties } from "../core/user-properties";
import { users } from "../db/schema";
import { DueWork, type WorkKind } from "./due-work";
import { EventStore } from "./event-store";
import { loadState, saveState, type ProfileState } from "./profile-state";
import type { DeviceHistory, IngestRequest, IngestResult, ProfileView, UserProfileRpc } from "./rpc";
import { profileStub } from "./stub";
import { ensureSchema } from "./schema";

const OUTBOX_BATCH = 2_000;
const RETRY_BASE_MS = 5_000;
const RETRY_MAX_MS = 3_600_000;

/**
 * One profile — a user, or an anonymous device — of one project: the system of record
 * for its events and properties. Every write is durable before its RPC returns (the
 * output gate holds the reply until SQLite has committed).
 */
export class UserProfile extends DurableObject<Env> implements UserProfileRpc {
  readonly #sql: SqlStorage;
  readonly #config: TailorConfig;
  readonly #work: DueWork;
  readonly #events: EventStore;
  #ready = false;
  #state: ProfileState | undefined;
  /** Token buckets per endpoint rate, in memory: an evicted profile starts full again. */
  readonly #buckets = new Map<string, TokenBucket>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#config = readConfig(env);
    this.#work = new DueWork(this.#sql, ctx.storage);
    this.#events = new EventStore(this.#sql);
    // A lookup of an unknown profile must not create storage: only load what exists.
    const exists = this.#sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'schema_version'").toArray().length > 0;
    if (exists) this.#open();
  }

  async ingest(req: IngestRequest): Promise<IngestResult> {
    const state = this.#identify(req.projectId, req.profile);
    if (state.linkedUser !== undefined) return this.#forwardToUser(state, state.linkedUser, req);

    const now = Date.now();
    const rate = `${req.limits.eventsPerSecond}/${req.limits.windowSeconds}`;
    const taken = takeTokens(this.#buckets.get(rate) ?? fullBucket(req.limits, now), req.events.length, req.limits, now);
    this.#buckets.set(rate, taken.bucket);
    if (!taken.ok) return { status: "throttled", retryAfterMs: taken.retryAfterMs, eps: taken.eps };

    const counts = this.ctx.storage.transactionSync(() => this.#append(state, req.events, now));
    if (state.profile.kind === "user") await this.#linkNewDevices(state, req.events);
    await this.#scheduleAfterWrite(state, now);
    return { status: "ok", ...counts };
  }

  /**
   * Called on a device's profile by the user it was just seen with. The first time, the
   * device's history and properties move to that user; afterwards its new events are
   * forwarded to whichever user it was seen with last.
   */
  async linkTo(projectId: string, deviceId: string, userId: string): Promise<DeviceHistory> {
    const state = this.#identify(projectId, { kind: "device", id: deviceId });
    const firstLink = state.linkedUser === undefined;
    if (state.linkedUser === userId) return { properties: {}, events: [] };
    state.linkedUser = userId;
    saveState(this.#sql, state);
    this.#work.schedule("registry", Date.now());
    await this.#work.arm();
    if (!firstLink) return { properties: {}, events: [] };
    return { properties: state.properties, events: this.#events.list(Number.MAX_SAFE_INTEGER) };
  }

  async getProfile(): Promise<ProfileView | null> {
    const state = this.#state;
    if (state === undefined) return null;
    if (state.linkedUser !== undefined) return profileStub(this.env, state.projectId, { kind: "user", id: state.linkedUser }).getProfile();
    const isUser = state.profile.kind === "user";
    const deviceIds = isUser
      ? this.#sql.exec<{ device_id: string }>("SELECT device_id FROM devices ORDER BY linked_at").toArray().map((r) => r.device_id)
      : [state.profile.id];
    return {
      project_id: state.projectId,
      user_id: isUser ? state.profile.id : null,
      device_id: state.lastDeviceId ?? (isUser ? null : state.profile.id),
      device_ids: deviceIds,
      user_properties: state.properties,
      event_count: state.eventCount,
      first_seen: state.firstSeen ?? null,
      last_seen: state.lastSeen ?? null,
    };
  }

  /** Stored events in arrival order (bounded by retention), for reads and tests. */
  async getEvents(limit = 1_000, afterSeq = 0): Promise<TailorEvent[]> {
    if (!this.#ready) return [];
    return this.#events.list(limit, afterSeq);
  }

  async getRecentEvents(limit = 20): Promise<TailorEvent[]> {
    if (!this.#ready) return [];
    return this.#events.recent(limit);
  }

  override async alarm(): Promise<void> {
    this.#work.fired();
    if (!this.#ready) return;
    const now = Date.now();
    for (const { kind, attempts } of this.#work.due(now)) {
      try {
        const next = await this.#run(kind, now);
        if (next === null) this.#work.done(kind);
        else this.#work.reschedule(kind, next, false);
      } catch (err) {
        console.error(`profile work ${kind} failed (attempt ${attempts + 1})`, err);
        const backoff = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** attempts);
        this.#work.reschedule(kind, Date.now() + backoff, true);
      }
    }
    await this.#work.arm();
  }

  #open(): void {
    ensureSchema(this.ctx.storage);
    this.#state = loadState(this.#sql);
    this.#work.load();
    this.#ready = true;
  }

  /** The profile's state, created on first write; the caller's identity is recorded once. */
  #identify(projectId: string, profile: ProfileRef): ProfileState {
    if (!this.#ready) this.#open();
    if (this.#state === undefined) {
      this.#state = { projectId, profile, properties: {}, eventCount: 0, lastSeq: 0, archivedThrough: 0 };
      saveState(this.#sql, this.#state);
    } else if (this.#state.projectId !== projectId || profileKey(this.#state.profile) !== profileKey(profile)) {
      throw new Error(`profile object ${profileKey(this.#state.profile)} addressed as ${profileKey(profile)}`);
    }
    return this.#state;
  }

  #append(state: ProfileState, events: TailorEvent[], now: number): { accepted: number; duplicates: number } {
    let accepted = 0;
    let duplicates = 0;
    for (const event of events) {
      if (event.insert_id !== undefined && !this.#events.claimInsertId(event.insert_id, now, this.#config.dedupeMs)) {
        duplicates++;
        continue;
      }
      this.#events.append(++state.lastSeq, event, false);
      this.#recordSeen(state, event);
      if (Object.keys(event.user_properties).length > 0) {
        state.properties = applyUserProperties(state.properties, event.user_properties);
      }
      accepted++;
    }
    if (accepted > 0) saveState(this.#sql, state);
    return { accepted, duplicates };
  }

  #recordSeen(state: ProfileState, event: TailorEvent): void {
    state.eventCount++;
    state.firstSeen = Math.min(state.firstSeen ?? event.time, event.time);
    state.lastSeen = Math.max(state.lastSeen ?? event.time, event.time);
    if (event.device_id !== undefined) state.lastDeviceId = event.device_id;
  }

  /** Links each device seen with this user for the first time, importing its history. */
  async #linkNewDevices(state: ProfileState, events: TailorEvent[]): Promise<void> {
    const known = (id: string) => this.#sql.exec("SELECT 1 FROM devices WHERE device_id = ?", id).toArray().length > 0;
    const fresh = [...new Set(events.map((e) => e.device_id).filter((d): d is string => d !== undefined))].filter(
      (d) => !known(d),
    );
    if (fresh.length === 0) return;
    const userId = state.profile.id;
    const histories = await Promise.all(
      fresh.map((deviceId) =>
        profileStub(this.env, state.projectId, { kind: "device", id: deviceId }).linkTo(state.projectId, deviceId, userId),
      ),
    );
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      fresh.forEach((deviceId, i) => {
        this.#importDevice(state, histories[i]!, userId, now);
        this.#sql.exec("INSERT OR IGNORE INTO devices (device_id, linked_at) VALUES (?, ?)", deviceId, now);
      });
      saveState(this.#sql, state);
    });
  }

  /**
   * The device's events join the user's (already archived by the device, so not again);
   * its properties fill in what the user does not have — the user's own values win.
   */
  #importDevice(state: ProfileState, history: DeviceHistory, userId: string, now: number): void {
    for (const event of history.events) {
      if (event.insert_id !== undefined && !this.#events.claimInsertId(event.insert_id, now, this.#config.dedupeMs)) continue;
      const owned = { ...event, user_id: userId };
      this.#events.append(++state.lastSeq, owned, true);
      this.#recordSeen(state, owned);
    }
    for (const [key, value] of Object.entries(history.properties)) {
      if (!(key in state.properties)) state.properties[key] = value;
    }
  }

  /** A linked device's new events belong to its user: they are stamped and passed on. */
  async #forwardToUser(state: ProfileState, userId: string, req: IngestRequest): Promise<IngestResult> {
    const profile = { kind: "user", id: userId } as const;
    const events = req.events.map((e) => ({ ...e, user_id: userId }));
    return profileStub(this.env, state.projectId, profile).ingest({ ...req, profile, events });
  }

  async #scheduleAfterWrite(state: ProfileState, now: number): Promise<void> {
    this.#work.schedule("archive", now + this.#config.archiveFlushMs);
    const oldest = state.firstSeen ?? now;
    this.#work.schedule("prune", Math.max(now, Math.min(oldest + this.#config.retentionMs, now + this.#config.dedupeMs)));
    const written = state.registryWrittenAt;
    if (written === undefined || now - written >= this.#config.registryRefreshMs) this.#work.schedule("registry", now);
    await this.#work.arm();
  }

  /** Runs one kind of due work; returns when it is due again, or null when it is done. */
  async #run(kind: WorkKind, now: number): Promise<number | null> {
    switch (kind) {
      case "archive":
        return this.#flushArchive(now);
      case "prune":
        return this.#events.prune(now, this.#config.retentionMs, this.#state!.archivedThrough);
      case "registry":
        await this.#writeRegistry(now);
        return null;
    }
  }

  /** Writes the outbox to R2, one object per hour of event time, then moves the cursor. */
  async #flushArchive(now: number): Promise<number | null> {
    const state = this.#state!;
    const upTo = state.lastSeq;
    const batch = this.#events.outbox(state.archivedThrough, OUTBOX_BATCH);
    const byHour = new Map<string, { firstSeq: number; events: TailorEvent[] }>();
    for (const { seq, event } of batch) {
      const hour = hourOf(event.time);
      const group = byHour.get(hour) ?? { firstSeq: seq, events: [] };
      group.events.push(event);
      byHour.set(hour, group);
    }
    const owner = await this.#ownerHash(state);
    await Promise.all(
      [...byHour].map(([hour, g]) =>
        this.env.ARCHIVE.put(archiveKey(state.projectId, hour, owner, g.firstSeq), toNdjson(g.events), {
          httpMetadata: { contentType: "application/x-ndjson" },
        }),
      ),
    );
    const full = batch.length === OUTBOX_BATCH;
    state.archivedThrough = full ? batch[batch.length - 1]!.seq : upTo;
    saveState(this.#sql, state);
    if (full) return now;
    return state.lastSeq > state.archivedThrough ? Date.now() + this.#config.archiveFlushMs : null;
  }

  async #ownerHash(state: ProfileState): Promise<string> {
    return (await sha256Hex(profileObjectName(state.projectId, state.profile))).slice(0, 16);
  }

  async #writeRegistry(now: number): Promise<void> {
    const state = this.#state!;
    const isUser = state.profile.kind === "user";
    const row = {
      projectId: state.projectId,
      profileKey: profileKey(state.profile),
      userId: isUser ? state.profile.id : null,
      deviceId: isUser ? (state.lastDeviceId ?? null) : state.profile.id,
      mergedInto: state.linkedUser ?? null,
      eventCount: state.eventCount,
      firstSeen: state.firstSeen ?? now,
      lastSeen: state.lastSeen ?? now,
    };
    await drizzle(this.env.DB)
      .insert(users)
      .values(row)
      .onConflictDoUpdate({
        target: [users.projectId, users.profileKey],
        set: {
          userId: row.userId,
          deviceId: row.deviceId,
          mergedInto: row.mergedInto,
          eventCount: row.eventCount,
          firstSeen: dsql`min(${users.firstSeen}, ${row.firstSeen})`,
          lastSeen: dsql`max(${users.lastSeen}, ${row.lastSeen})`,
        },
      });
    state.registryWrittenAt = now;
    saveState(this.#sql, state);
  }
}
