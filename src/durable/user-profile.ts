import { DurableObject } from "cloudflare:workers";
import { readConfig, type TailorConfig } from "../core/config";
import { countWakeup } from "../core/admission";
import { profileKey, type ProfileRef, type TailorEvent } from "../core/event";
import { tidy, type Json, type JsonObject } from "../core/json";
import { HIDDEN_PREFIX, type CompiledSegments } from "../core/segments/compile";
import type { SegmentChanges, SegmentEngine } from "../core/segments/engine";
import { fullBucket, takeTokens, type TokenBucket } from "../core/throttle";
import { mergeHistory } from "../core/archive";
import { ArchiveManifest, reachesPruned, readPruned, readPrunedKeys } from "./archived-history";
import { currentDefinitions } from "../db/definitions-cache";
import { writeArchive, writeMemberships, writeRegistry, writeServedOutcomes } from "./deliveries";
import { DueWork, LAZY_WORK, type WorkKind } from "./due-work";
import { EventStore } from "./event-store";
import { ProfileHistory } from "./profile-history";
import { emptySummary, ProfileSegments } from "./profile-segments";
import { ProfileErasure, type EraseRequest, type EraseResult } from "./profile-erasure";
import { loadState, saveState, type ProfileState } from "./profile-state";
import { profileRecommendations } from "./profile-recs";
import type { HoldoutExposure } from "../core/holdout";
import type { DeviceHistory, IngestRequest, IngestResult, ProfileRead, ProfileView, RecsQuery, SegmentView, UserProfileRpc } from "./rpc";
import { ensureSchema } from "./schema";
import { servedGoals, ServedWindows, shownWindows } from "./served-windows";
import { holdoutExposureWindow, predictionWindow, type ServedWindow } from "../core/served-outcomes";
import { scoresMoved, withScores } from "../core/scores";
import { computeScores } from "../serving/scores";
import { profileStub } from "./stub";

const OUTBOX_BATCH = 2_000;
/** A call restarted this often found the profile replaced each time: give up loudly (never seen). */
const MAX_RESTARTS = 5;
const MEMBERSHIP_BATCH = 200;
const SCORE_REFRESH_MS = 86_400_000;

/**
 * One profile — a user, or an anonymous device — of one project: the system of record
 * for its events and properties. Every write is durable before its RPC returns (the
 * output gate holds the reply until SQLite has committed).
 */
export class UserProfile extends DurableObject<Env> implements UserProfileRpc {
  readonly #sql: SqlStorage;
  readonly #config: TailorConfig;
  #work: DueWork<WorkKind>;
  readonly #events: EventStore;
  readonly #history: ProfileHistory;
  readonly #segments: ProfileSegments;
  readonly #erasure: ProfileErasure;
  readonly #manifest: ArchiveManifest;
  readonly #served: ServedWindows;
  #ready = false;
  #state: ProfileState | undefined;
  /** Token buckets per endpoint rate, in memory: an evicted profile starts full again. */
  readonly #buckets = new Map<string, TokenBucket>();
  readonly #recs = profileRecommendations();
  /**
   * Bumped whenever what this object holds is replaced under a suspended call: an erase,
   * or a device linked to a user. Storage calls close the input gate, but while a call
   * awaits D1, R2, another profile or the model runtime, other calls of this object run;
   * each await of that kind goes through #resumed, which stops the call when the profile
   * changed, and the RPC starts again against what the object holds now.
   */
  #generation = 0;
  /** While an erase runs: no call starts (or starts again) before it is done. */
  #erasing: Promise<unknown> | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#config = readConfig(env);
    this.#work = new DueWork(this.#sql, ctx.storage, LAZY_WORK);
    this.#events = new EventStore(this.#sql);
    this.#history = new ProfileHistory(this.#events, this.#config.dedupeMs);
    this.#segments = new ProfileSegments(this.#sql);
    this.#erasure = new ProfileErasure(ctx.storage);
    this.#manifest = new ArchiveManifest(this.#sql);
    this.#served = new ServedWindows(this.#sql);
    // A lookup of an unknown profile must not create storage: only load what exists.
    const exists = this.#sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'schema_version'").toArray().length > 0;
    if (exists) this.#open();
  }

  ingest(req: IngestRequest): Promise<IngestResult> {
    return this.#restarting((generation) => this.#ingest(req, generation));
  }

  async #ingest(req: IngestRequest, generation: number): Promise<IngestResult> {
    // An erased id drops events from before its erasure (profile-erasure.ts).
    const admitted = this.#erasure.admit(req.events);
    if (admitted.length === 0) return { status: "ok", accepted: 0, duplicates: req.events.length };
    req = admitted === req.events ? req : { ...req, events: admitted };
    const state = this.#identify(req.projectId, req.profile);
    if (state.linkedUser !== undefined) return this.#forwardToUser(state, state.linkedUser, req);
    await this.#resumed(generation, this.#catchUp());

    const now = Date.now();
    const rate = `${req.limits.eventsPerSecond}/${req.limits.windowSeconds}`;
    const taken = takeTokens(this.#buckets.get(rate) ?? fullBucket(req.limits, now), req.events.length, req.limits, now);
    this.#buckets.set(rate, taken.bucket);
    if (!taken.ok) return { status: "throttled", retryAfterMs: taken.retryAfterMs, eps: taken.eps };

    const compiled = await this.#resumed(generation, currentDefinitions(this.env, state.projectId, { version: req.definitionsVersion }));
    const archived = await this.#resumed(generation, this.#prunedHistory(state, compiled, now));
    const counts = this.ctx.storage.transactionSync(() => {
      const engine = this.#engine(state, compiled, now, archived);
      const appended = this.#history.append(state, req.events, now);
      // Before segmentation sees them: a new-items-only list judges against the history before these events.
      const goals = servedGoals(compiled, engine);
      if (this.#served.record(appended.fresh, goals.goalOf, goals.hadBefore)) this.#work.schedule("outcomes", now);
      this.#segmentsSaw(state, engine, appended.fresh, now, appended.propsChanged);
      return { accepted: appended.fresh.length, duplicates: appended.duplicates };
    });
    if (state.profile.kind === "user") await this.#linkNewDevices(state, req.events, compiled, generation);
    if (counts.accepted > 0) await this.#rescore(state, compiled, now, generation);
    await this.#scheduleAfterWrite(state, now, counts.accepted);
    return { status: "ok", ...counts };
  }

  /**
   * Brings segmentation up to the current definitions and the current time without an
   * event (the backfill after a definition change calls this on every profile).
   */
  refresh(): Promise<{ version: string } | null> {
    return this.#restarting((generation) => this.#refresh(generation));
  }

  async #refresh(generation: number): Promise<{ version: string } | null> {
    const state = this.#state;
    if (state === undefined || state.linkedUser !== undefined) return null;
    await this.#resumed(generation, this.#catchUp());
    const compiled = await this.#resumed(generation, currentDefinitions(this.env, state.projectId));
    const now = Date.now();
    const archived = await this.#resumed(generation, this.#prunedHistory(state, compiled, now));
    this.ctx.storage.transactionSync(() => {
      const engine = this.#engine(state, compiled, now, archived);
      this.#segmentsSaw(state, engine, [], now, false);
    });
    await this.#rescore(state, compiled, now, generation);
    await this.#scheduleSegments(now);
    return { version: compiled.version };
  }

  /** Sets this profile's membership of a static cohort (uploads, membership edits). */
  setStaticMembership(projectId: string, profile: ProfileRef, cohortId: string, member: boolean): Promise<void> {
    return this.#restarting((generation) => this.#setStaticMembership(projectId, profile, cohortId, member, generation));
  }

  async #setStaticMembership(projectId: string, profile: ProfileRef, cohortId: string, member: boolean, generation: number): Promise<void> {
    const state = this.#identify(projectId, profile);
    if (state.linkedUser !== undefined) {
      return profileStub(this.env, projectId, { kind: "user", id: state.linkedUser }).setStaticMembership(
        projectId,
        { kind: "user", id: state.linkedUser },
        cohortId,
        member,
      );
    }
    let compiled = await this.#resumed(generation, currentDefinitions(this.env, projectId));
    // A cohort created a moment ago may be newer than this isolate's cached definitions.
    if (!compiled.cohorts.some((c) => c.id === cohortId)) compiled = await this.#resumed(generation, currentDefinitions(this.env, projectId, { maxAgeMs: 0 }));
    const now = Date.now();
    const archived = await this.#resumed(generation, this.#prunedHistory(state, compiled, now));
    this.ctx.storage.transactionSync(() => {
      const engine = this.#engine(state, compiled, now, archived);
      this.#commit(state, engine, engine.setStatic(cohortId, member, now, this.#engineProps(state)));
    });
    await this.#scheduleSegments(now);
  }

  /** The profile and, when asked, its segmentation and recommendations: a read path's single RPC. */
  read(withSegments: boolean, recs?: RecsQuery, global?: HoldoutExposure): Promise<ProfileRead | null> {
    return this.#restarting((generation) => this.#read(withSegments, recs, global, generation));
  }

  async #read(withSegments: boolean, recs: RecsQuery | undefined, global: HoldoutExposure | undefined, generation: number): Promise<ProfileRead | null> {
    const state = this.#state;
    if (state === undefined) return null;
    if (state.linkedUser !== undefined) return profileStub(this.env, state.projectId, { kind: "user", id: state.linkedUser }).read(withSegments, recs, global);
    // A model newer than this profile's scores (published since its last event): score now, once.
    const compiled = await this.#resumed(generation, currentDefinitions(this.env, state.projectId));
    // The engine loads first: a population's membership is only known once it has.
    const engine = await this.#loadedEngine(state, compiled, generation);
    if (compiled.predictions.some((p) => state.scores?.[p.id]?.model !== p.model.id && (p.population === undefined || engine.member(p.population)))) {
      await this.#rescore(state, compiled, Date.now(), generation);
    }
    const profile = await this.getProfile();
    const segments = withSegments ? await this.#segmentView(state, compiled, generation) : null;
    const recommendations =
      recs === undefined || recs.ids.length === 0 ? [] : await this.#resumed(generation, this.#recs.read(this.env, state, compiled, engine, recs));
    if (this.#openWindows(shownWindows(compiled, recs?.shown ? recommendations : [], global, Date.now()))) await this.#work.arm();
    return profile === null ? null : { profile, segments, scores: state.scores ?? {}, recommendations };
  }

  async expose(ownerId: string, exposure: HoldoutExposure): Promise<boolean> {
    const state = this.#state;
    if (state === undefined) return false;
    if (state.linkedUser !== undefined) return profileStub(this.env, state.projectId, { kind: "user", id: state.linkedUser }).expose(ownerId, exposure);
    if (this.#openWindows([holdoutExposureWindow(ownerId, exposure, Date.now())])) await this.#work.arm();
    return true;
  }

  /** Cohort memberships and computed values, as of now. */
  getSegments(): Promise<SegmentView | null> {
    return this.#restarting(async (generation) => {
      const state = this.#state;
      if (state === undefined) return null;
      if (state.linkedUser !== undefined) return profileStub(this.env, state.projectId, { kind: "user", id: state.linkedUser }).getSegments();
      return this.#segmentView(state, await this.#resumed(generation, currentDefinitions(this.env, state.projectId)), generation);
    });
  }

  indexedCohorts(): Promise<{ cohort_ids: string[]; pending: boolean } | null> {
    return this.#restarting(async (generation) => {
      const state = this.#state;
      if (state === undefined || state.linkedUser !== undefined) return null;
      // The daily reconciliation asks every profile: lazy work (pruning) is done by then at the latest.
      await this.#resumed(generation, this.#catchUp());
      const { cohort_ids } = await this.#segmentView(state, await this.#resumed(generation, currentDefinitions(this.env, state.projectId)), generation);
      return { cohort_ids, pending: this.#segments.hasOutbox() };
    });
  }

  /**
   * Runs `call` with the current generation; when an erase or a link replaced the profile
   * while it awaited (#resumed), runs it again from the start, as if it had arrived now.
   */
  async #restarting<T>(call: (generation: number) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        if (this.#erasing !== undefined) await this.#erasing.catch(() => undefined);
        return await call(this.#generation);
      } catch (err) {
        if (!(err instanceof ProfileReplaced) || attempt >= MAX_RESTARTS) throw err;
      }
    }
  }

  /** Awaits `work`, then stops the call (ProfileReplaced) if the profile was replaced meanwhile. */
  async #resumed<T>(generation: number, work: Promise<T>): Promise<T> {
    const value = await work;
    if (generation !== this.#generation) throw new ProfileReplaced();
    return value;
  }

  /** Reads reuse the loaded engine; only a definitions change makes this write (a rebuild). */
  async #loadedEngine(state: ProfileState, compiled: CompiledSegments, generation: number): Promise<SegmentEngine> {
    const loaded = this.#segments.loaded(compiled);
    if (loaded !== undefined) return loaded;
    const now = Date.now();
    const archived = await this.#resumed(generation, this.#prunedHistory(state, compiled, now));
    return this.ctx.storage.transactionSync(() => this.#engine(state, compiled, now, archived));
  }

  async #segmentView(state: ProfileState, compiled: CompiledSegments, generation: number): Promise<SegmentView> {
    const now = Date.now();
    const engine = await this.#loadedEngine(state, compiled, generation);
    const computations: Record<string, Json> = {};
    compiled.computations.forEach((c, i) => {
      if (!c.id.startsWith(HIDDEN_PREFIX)) computations[c.id] = tidy(engine.value(i, now));
    });
    return { cohort_ids: compiled.cohorts.filter((_, i) => engine.memberAt(i)).map((c) => c.id), computations };
  }

  /**
   * Called on a device's profile by the user it was just seen with. The first time, the
   * device's history and properties move to that user; afterwards its new events are
   * forwarded to whichever user it was seen with last.
   */
  async linkTo(projectId: string, deviceId: string, userId: string): Promise<DeviceHistory> {
    const state = this.#identify(projectId, { kind: "device", id: deviceId });
    const firstLink = state.linkedUser === undefined;
    if (state.linkedUser === userId) return { properties: {}, events: [], archive: [] };
    const now = Date.now();
    // A call of this device suspended at an await must not go on writing to it (its events go to the user now).
    this.#generation++;
    state.linkedUser = userId;
    if (firstLink) {
      this.#leaveAllCohorts(state, now);
      // Its outcomes now happen on the user's profile (which opens its own windows): these would only resolve as misses.
      this.#served.drop();
    }
    saveState(this.#sql, state);
    this.#work.schedule("registry", now);
    await this.#work.arm();
    if (!firstLink) return { properties: {}, events: [], archive: [] };
    const history: DeviceHistory = { properties: state.properties, events: this.#events.list(Number.MAX_SAFE_INTEGER), archive: this.#manifest.keys() };
    return state.prunedBefore === undefined ? history : { ...history, prunedBefore: state.prunedBefore };
  }

  /** Privacy deletion of this profile (profile-erasure.ts); the object then holds only its tombstone. */
  erase(req: EraseRequest = {}): Promise<EraseResult> {
    // Before any await: a call suspended now stops when it resumes (#resumed), and starts
    // again only once the erase is done (#restarting).
    this.#generation++;
    const erasing = this.#erase(req).finally(() => (this.#erasing = undefined));
    this.#erasing = erasing;
    return erasing;
  }

  async #erase(req: EraseRequest): Promise<EraseResult> {
    const result = await this.#erasure.erase(this.#state, req);
    if (!result.erased && result.erasedAt === null) return result; // a device linked elsewhere: nothing deleted
    // Its due work went with the database; a run still suspended must not write it back.
    this.#work.retire();
    this.#state = undefined;
    this.#ready = false;
    this.#buckets.clear();
    this.#segments.forget();
    this.#recs.forget();
    this.#work = new DueWork(this.#sql, this.ctx.storage, LAZY_WORK);
    return result;
  }

  async getProfile(): Promise<ProfileView | null> {
    const state = this.#state;
    if (state === undefined) return null;
    if (state.linkedUser !== undefined) return profileStub(this.env, state.projectId, { kind: "user", id: state.linkedUser }).getProfile();
    const isUser = state.profile.kind === "user";
    const deviceIds = isUser
      ? this.#sql
          .exec<{ device_id: string }>("SELECT device_id FROM devices ORDER BY linked_at")
          .toArray()
          .map((r) => r.device_id)
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

  /** Runs lazy work that has fallen due (LAZY_WORK: it holds no alarm of its own). */
  async #catchUp(): Promise<void> {
    if (this.#work.lazyDue(Date.now())) await this.#work.runDue((kind, now) => this.#run(kind, now, this.#generation), LAZY_WORK);
  }

  override async alarm(): Promise<void> {
    this.#work.fired();
    if (!this.#ready || this.#state === undefined) return;
    countWakeup(this.#config, this.#state.projectId, this.#state.profile);
    const generation = this.#generation;
    // Work stopped by a link (ProfileReplaced) runs again at once, against the linked device;
    // an erased profile's work table is retired, so nothing of it runs again.
    await this.#work.runDue((kind, now) =>
      this.#run(kind, now, generation).catch((err) => (err instanceof ProfileReplaced ? Date.now() : Promise.reject(err))),
    );
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

  #engineProps(state: ProfileState): JsonObject {
    return withScores(state.properties, state.scores);
  }

  /**
   * Re-scores every served prediction from the profile's current features and, when a
   * score moved, re-evaluates the predictive cohorts. After the write: ORT runs async.
   */
  async #rescore(state: ProfileState, compiled: CompiledSegments, now: number, generation: number): Promise<void> {
    if (compiled.predictions.length === 0 || state.linkedUser !== undefined) return;
    const engine = this.#segments.loaded(compiled);
    if (engine === undefined) return;
    const next = await this.#resumed(generation, computeScores(this.env, compiled, engine, now));
    const opened = this.#openWindows(
      compiled.predictions.flatMap((p) => (next[p.id] === undefined ? [] : [predictionWindow(p.id, next[p.id]!.model, next[p.id]!.score, p.horizonDays, now)])),
    );
    if (!scoresMoved(state.scores ?? {}, next)) {
      if (opened) await this.#work.arm();
      return;
    }
    this.ctx.storage.transactionSync(() => {
      state.scores = next;
      this.#commit(state, engine, engine.ingest([], now, this.#engineProps(state), true));
    });
    // Recency features age: score again tomorrow even without an event.
    this.#work.schedule("score", now + SCORE_REFRESH_MS);
    if (this.#segments.hasOutbox()) this.#work.schedule("memberships", now);
    await this.#work.arm();
  }

  /** Opens a served window for each answer that has none open; D1 hears of them at once. */
  #openWindows(windows: readonly ServedWindow[]): boolean {
    const opened = this.#served.open(windows);
    if (opened) this.#work.schedule("outcomes", Date.now());
    return opened;
  }

  /**
   * The segment engine for these definitions, rebuilt (and its changes recorded) when they
   * moved: new streams replay the kept events and `archived`, what #prunedHistory read back.
   */
  #engine(state: ProfileState, compiled: CompiledSegments, now: number, archived: readonly TailorEvent[] = []): SegmentEngine {
    const { engine, changes } = this.#segments.engine(
      compiled,
      state.segments ?? emptySummary(),
      now,
      () => this.#engineProps(state),
      () => mergeHistory(this.#events.list(Number.MAX_SAFE_INTEGER), archived),
    );
    if (changes !== null) this.#segments.persist(engine, changes);
    return engine;
  }

  /**
   * Before a rebuild whose new streams reach back past what this profile still keeps: the
   * pruned events, read back from its archive objects (so a model published after its
   * history aged out serves the features the trainer computed from the whole archive).
   * Read before the commit, which is synchronous; empty when the rebuild needs none.
   */
  async #prunedHistory(state: ProfileState, compiled: CompiledSegments, now: number): Promise<TailorEvent[]> {
    const { prunedBefore } = state;
    if (prunedBefore === undefined || !reachesPruned(this.#segments.freshStreams(compiled), prunedBefore, now)) return [];
    return readPruned(this.env, this.#manifest, prunedBefore);
  }

  /** Feeds new events (possibly none: time passing) to segmentation and saves the state. */
  #segmentsSaw(state: ProfileState, engine: SegmentEngine, events: TailorEvent[], now: number, propsChanged: boolean): void {
    const props = this.#engineProps(state);
    this.#commit(state, engine, events.length > 0 || propsChanged ? engine.ingest(events, now, props, propsChanged) : engine.tick(now, props));
  }

  /** Records what segmentation changed and saves the profile's state with the new summary. */
  #commit(state: ProfileState, engine: SegmentEngine, changes: SegmentChanges): void {
    this.#segments.persist(engine, changes);
    state.segments = this.#segments.summary(engine);
    saveState(this.#sql, state);
  }

  /** A device whose history moved to a user is no longer a profile of its own. */
  #leaveAllCohorts(state: ProfileState, now: number): void {
    const summary = state.segments ?? emptySummary();
    const members = [...Object.keys(summary.flags), ...Object.keys(summary.staticMembers)];
    this.#segments.recordMemberships(members.map((cohortId) => ({ cohortId, member: false, at: now })));
    state.segments = emptySummary();
    this.#sql.exec("DELETE FROM segment_streams");
    this.#segments.forget();
    if (members.length > 0) this.#work.schedule("memberships", now);
  }

  /** Links each device seen with this user for the first time, importing its history. */
  async #linkNewDevices(state: ProfileState, events: TailorEvent[], compiled: CompiledSegments, generation: number): Promise<void> {
    const known = (id: string) => this.#sql.exec("SELECT 1 FROM devices WHERE device_id = ?", id).toArray().length > 0;
    const fresh = [...new Set(events.map((e) => e.device_id).filter((d): d is string => d !== undefined))].filter((d) => !known(d));
    if (fresh.length === 0) return;
    const userId = state.profile.id;
    const histories = await this.#resumed(
      generation,
      Promise.all(fresh.map((deviceId) => profileStub(this.env, state.projectId, { kind: "device", id: deviceId }).linkTo(state.projectId, deviceId, userId))),
    );
    // What a device pruned is only in its archive: segmentation sees it too (it is not stored again).
    const pruned = await this.#resumed(
      generation,
      Promise.all(histories.map((h) => (h.prunedBefore === undefined ? [] : readPrunedKeys(this.env, h.archive, h.prunedBefore)))),
    );
    const now = Date.now();
    const archived = await this.#resumed(generation, this.#prunedHistory(state, compiled, now));
    this.ctx.storage.transactionSync(() => {
      const engine = this.#engine(state, compiled, now, archived);
      const imported: TailorEvent[] = [];
      fresh.forEach((deviceId, i) => {
        const history = histories[i]!;
        const retained = new Set(history.events.map((e) => e.uuid));
        imported.push(...this.#history.importDevice(state, history, userId, now));
        for (const e of pruned[i]!) if (!retained.has(e.uuid)) imported.push({ ...e, user_id: userId });
        this.#manifest.record(history.archive);
        if (history.prunedBefore !== undefined) state.prunedBefore = Math.max(state.prunedBefore ?? 0, history.prunedBefore);
        this.#sql.exec("INSERT OR IGNORE INTO devices (device_id, linked_at) VALUES (?, ?)", deviceId, now);
      });
      this.#segmentsSaw(state, engine, mergeHistory(imported, []), now, true);
    });
  }

  /** A linked device's new events belong to its user: they are stamped and passed on. */
  async #forwardToUser(state: ProfileState, userId: string, req: IngestRequest): Promise<IngestResult> {
    const profile = { kind: "user", id: userId } as const;
    const events = req.events.map((e) => ({ ...e, user_id: userId }));
    return profileStub(this.env, state.projectId, profile).ingest({ ...req, profile, events });
  }

  async #scheduleAfterWrite(state: ProfileState, now: number, accepted: number): Promise<void> {
    // The archive is batched over ARCHIVE_FLUSH_SECONDS; a brand-new profile's first events
    // (all it has) are flushed at once instead, so that a one-off visitor's object is freed
    // ~10 s after its request rather than woken again by the flush (memory holds every
    // resident object: see core/active-profiles.ts). Returning profiles keep the batching.
    // A resend of what is stored adds nothing to archive: no wake-up for it.
    if (accepted > 0) this.#work.schedule("archive", state.eventCount === accepted ? now : now + this.#config.archiveFlushMs);
    const oldest = state.firstSeen ?? now;
    this.#work.schedule("prune", Math.max(now, Math.min(oldest + this.#config.retentionMs, now + this.#config.dedupeMs)));
    const written = state.registryWrittenAt;
    if (written === undefined || now - written >= this.#config.registryRefreshMs) this.#work.schedule("registry", now);
    await this.#scheduleSegments(now);
  }

  /** Segmentation's own due work: the next instant time changes a value, and pending D1 writes. */
  async #scheduleSegments(now: number): Promise<void> {
    const next = this.#segments.nextChangeAt(now);
    if (next !== null) this.#work.schedule("segments", next);
    if (this.#segments.hasOutbox()) this.#work.schedule("memberships", now);
    await this.#work.arm();
  }

  /** Runs one kind of due work; returns when it is due again, or null when it is done. */
  async #run(kind: WorkKind, now: number, generation: number): Promise<number | null> {
    const state = this.#state!;
    switch (kind) {
      case "archive":
        return this.#flushArchive(state, now, generation);
      case "prune": {
        const { next, prunedBefore } = this.#events.prune(now, this.#config.retentionMs, state.archivedThrough);
        if (prunedBefore !== null) {
          state.prunedBefore = Math.max(state.prunedBefore ?? 0, prunedBefore);
          saveState(this.#sql, state);
        }
        return next;
      }
      case "registry":
        await this.#resumed(generation, writeRegistry(this.env, state, now));
        state.registryWrittenAt = now;
        saveState(this.#sql, state);
        return null;
      case "segments": {
        if (state.linkedUser !== undefined) return null;
        const compiled = await this.#resumed(generation, currentDefinitions(this.env, state.projectId));
        const archived = await this.#resumed(generation, this.#prunedHistory(state, compiled, now));
        this.ctx.storage.transactionSync(() => this.#segmentsSaw(state, this.#engine(state, compiled, now, archived), [], now, false));
        if (this.#segments.hasOutbox()) this.#work.schedule("memberships", now);
        return this.#segments.nextChangeAt(now);
      }
      case "score": {
        if (state.linkedUser !== undefined) return null;
        const compiled = await this.#resumed(generation, currentDefinitions(this.env, state.projectId));
        await this.#loadedEngine(state, compiled, generation);
        await this.#rescore(state, compiled, now, generation);
        return compiled.predictions.length > 0 ? now + SCORE_REFRESH_MS : null;
      }
      case "outcomes": {
        this.#served.resolveDue(now);
        const rows = this.#served.unwritten();
        await this.#resumed(generation, writeServedOutcomes(this.env, state, rows, now));
        this.#served.written(rows);
        return this.#served.nextDueAt(Date.now());
      }
      case "memberships": {
        const batch = this.#segments.outbox(MEMBERSHIP_BATCH);
        await this.#resumed(generation, writeMemberships(this.env, state, batch));
        if (batch.length > 0) this.#segments.clearOutbox(batch[batch.length - 1]!.seq);
        return this.#segments.hasOutbox() ? Date.now() : null;
      }
    }
  }

  /** Writes the archive outbox to R2, then moves the cursor. */
  async #flushArchive(state: ProfileState, now: number, generation: number): Promise<number | null> {
    const upTo = state.lastSeq;
    const batch = this.#events.outbox(state.archivedThrough, OUTBOX_BATCH);
    this.#manifest.record(await this.#resumed(generation, writeArchive(this.env, state, batch)));
    const full = batch.length === OUTBOX_BATCH;
    state.archivedThrough = full ? batch[batch.length - 1]!.seq : upTo;
    saveState(this.#sql, state);
    if (full) return now;
    return state.lastSeq > state.archivedThrough ? Date.now() + this.#config.archiveFlushMs : null;
  }
}

/** Thrown by #resumed: the profile was erased, or the device linked, while the call awaited. */
class ProfileReplaced extends Error {
  constructor() {
    super("the profile was replaced while this call awaited");
  }
}
