import { and, desc, eq, gt, inArray, lte, max, sql } from "drizzle-orm";
import { drizzle, type DrizzleD1Database } from "drizzle-orm/d1";
import { randomKey } from "../core/hash";
import { cohortWebhookMessages } from "../core/syncs/cohort-webhook";
import { netChanges, type NetChange } from "../core/syncs/diff";
import { heldOut, holdoutExposure, type Holdout } from "../core/holdout";
import { parseProfileKey } from "../core/event";
import { exportFile, syncExportKey } from "../core/syncs/export-file";
import { openCredentials } from "../core/syncs/credentials";
import { retryDelay } from "../core/syncs/retry";
import { destinationSchema, syncSchema, type LastRun } from "../core/syncs/schema";
import { idProperty } from "../core/syncs/destinations/lists";
import { requestsFor, type OutboundRequest } from "../core/syncs/destinations/requests";
import { cohorts, departedIds, destinations, membershipChanges, syncCursors, syncRuns, syncs } from "../db/schema";
import { syncable } from "./global-control";
import { runPropertySync } from "./property-sync";
import { profileStub } from "../durable/stub";
import { idsFor } from "./sync-ids";

const ATTEMPTS = 4;
const MAX_WAIT_MS = 30_000;
/** Consecutive failed runs after which a sync shows as failing. */
export const FAILING_AFTER = 3;

export interface RunSummary {
  id: string;
  status: "succeeded" | "failed";
  sent: number;
  failed: number;
  skipped: number;
  last_error: string | null;
}

/** The exposures' owner id of a sync's holdout (its lift report reads them). */
export const syncOwner = (syncId: string) => `sync:${syncId}`;

const EXPOSE_CONCURRENCY = 16;

/** Exposes each member entering the cohort in this window to the sync's holdout (idempotent: a resumed window exposes nobody twice). */
async function exposeEntering(
  env: Pick<Env, "USER_PROFILE">,
  projectId: string,
  syncId: string,
  holdout: Holdout,
  changes: readonly NetChange[],
): Promise<void> {
  const owner = syncOwner(syncId);
  const entering = changes.filter((c) => c.inCohort);
  for (let i = 0; i < entering.length; i += EXPOSE_CONCURRENCY) {
    await Promise.all(
      entering.slice(i, i + EXPOSE_CONCURRENCY).map((c) => {
        const exposure = holdoutExposure(holdout, heldOut(owner, c.profileKey, holdout.percent));
        return exposure === undefined ? false : profileStub(env, projectId, parseProfileKey(c.profileKey)).expose(owner, exposure);
      }),
    );
  }
}

/**
 * One run of a sync. A cohort sync: the change-log window after the cursor is fixed when the
 * run starts (or resumed, if a run failed halfway), collapsed to net changes, cut into
 * messages with stable ids, turned into the destination's requests and delivered in order; the cursor only passes the window
 * once every message of it is delivered, so a failure never loses or repeats a change.
 * A property sync: see `runPropertySync`.
 */
export async function runSync(
  env: Pick<Env, "DB" | "ARCHIVE" | "USER_PROFILE" | "SYNC_BACKOFF_MS" | "CREDENTIALS_KEY">,
  syncId: string,
  sleep = (ms: number) => new Promise((r) => setTimeout(r, ms)),
): Promise<RunSummary> {
  const db = drizzle(env.DB);
  const row = await db.select().from(syncs).where(eq(syncs.id, syncId)).get();
  if (row === undefined) throw new Error(`no sync ${syncId}`);
  const def = syncSchema.parse(row.definition);
  const startedAt = Date.now();
  const runId = `run_${randomKey(6)}`;
  // ProjectJobs never runs a sync twice at once: a run still marked running died with its isolate.
  await db.batch([
    db
      .update(syncRuns)
      .set({ status: "failed", lastError: "interrupted: the run stopped before it finished (a later run resumes it)", finishedAt: startedAt })
      .where(and(eq(syncRuns.syncId, syncId), eq(syncRuns.status, "running"))),
    db.insert(syncRuns).values({ id: runId, syncId, startedAt, status: "running" }),
  ]);
  /** Users the destination cannot name (no id property, device-only for Braze): counted, not sent. */
  let skipped = 0;
  const finish = async (status: RunSummary["status"], sent: number, failed: number, lastError: string | null): Promise<RunSummary> => {
    await db.update(syncRuns).set({ status, sent, failed, skipped, lastError, finishedAt: Date.now() }).where(eq(syncRuns.id, runId));
    return { id: runId, status, sent, failed, skipped, last_error: lastError };
  };
  try {
    const [destRow, cohort] = await Promise.all([
      db.select().from(destinations).where(eq(destinations.id, def.destination_id)).get(),
      db.select().from(cohorts).where(eq(cohorts.id, def.what.cohort_id)).get(),
    ]);
    if (destRow === undefined || cohort === undefined) return finish("failed", 0, 0, "destination or cohort no longer exists");
    // Credentials are opened here only, to build the requests; they are sealed everywhere else.
    const destination = destinationSchema.parse(await openCredentials(destRow.definition, env.CREDENTIALS_KEY, destRow.id));
    const backoffMs = Number(env.SYNC_BACKOFF_MS ?? 500);
    const send = (request: OutboundRequest) => deliver(request, backoffMs, sleep);
    if (def.what.kind === "properties") {
      const outcome = await runPropertySync(
        env,
        { id: syncId, projectId: row.projectId, what: def.what, batchSize: def.batch_size },
        destination,
        send,
        startedAt,
      );
      return finish(outcome.error === null ? "succeeded" : "failed", outcome.sent, outcome.failed, outcome.error);
    }
    const stream = def.what.cohort_id;
    let cursor = await db
      .select()
      .from(syncCursors)
      .where(and(eq(syncCursors.syncId, syncId), eq(syncCursors.stream, stream)))
      .get();
    if (cursor === undefined) {
      await db.insert(syncCursors).values({ syncId, stream, lastSeq: 0, updatedAt: startedAt });
      cursor = { syncId, stream, lastSeq: 0, pendingEnd: null, delivered: 0, updatedAt: startedAt };
    }
    let end = cursor.pendingEnd;
    if (end === null) {
      const [{ top }] = (await db
        .select({ top: max(membershipChanges.seq) })
        .from(membershipChanges)
        .where(eq(membershipChanges.cohortId, stream))) as [{ top: number | null }];
      if (top === null || top <= cursor.lastSeq) return finish("succeeded", 0, 0, null);
      end = top;
      await db
        .update(syncCursors)
        .set({ pendingEnd: end, delivered: 0, updatedAt: Date.now() })
        .where(and(eq(syncCursors.syncId, syncId), eq(syncCursors.stream, stream)));
    }
    const rows = await db
      .select({
        seq: membershipChanges.seq,
        profileKey: membershipChanges.profileKey,
        inCohort: membershipChanges.inCohort,
        changedAt: membershipChanges.changedAt,
      })
      .from(membershipChanges)
      .where(and(eq(membershipChanges.cohortId, stream), gt(membershipChanges.seq, cursor.lastSeq), lte(membershipChanges.seq, end)))
      .orderBy(membershipChanges.seq);
    const sendable = await syncable(db, row.projectId);
    const members = netChanges(rows.filter((r) => sendable(r.profileKey)));
    // A measured holdout: everyone entering is exposed (sent or held out), then the held-out share is not sent.
    await exposeEntering(env, row.projectId, syncId, def.holdout, members);
    const changes = members.filter((c) => !heldOut(syncOwner(syncId), c.profileKey, def.holdout.percent));
    if (destination.type === "r2_export") {
      const key = syncExportKey(row.projectId, syncId, cursor.lastSeq, end, destination.format);
      await env.ARCHIVE.put(key, exportFile(changes, destination.format), {
        httpMetadata: { contentType: destination.format === "csv" ? "text/csv" : "application/x-ndjson" },
      });
      await db
        .update(syncCursors)
        .set({ lastSeq: end, pendingEnd: null, delivered: 0, updatedAt: Date.now() })
        .where(and(eq(syncCursors.syncId, syncId), eq(syncCursors.stream, stream)));
      return finish("succeeded", changes.length, 0, null);
    }
    const messages = cohortWebhookMessages({ id: cohort.id, name: cohort.name }, syncId, changes, def.batch_size, startedAt);
    const requests = requestsFor(destination, messages, await idsFor(env, row.projectId, syncId, destination, messages));
    // Counted once per window, by the run that starts it.
    if (cursor.pendingEnd === null) skipped = messages.reduce((n, m) => n + m.users.length, 0) - requests.reduce((n, r) => n + r.users, 0);

    let delivered = cursor.pendingEnd === null ? 0 : cursor.delivered;
    let sent = 0;
    for (; delivered < requests.length; delivered++) {
      const request = requests[delivered]!;
      const error = await send(request);
      if (error !== null) {
        await db
          .update(syncCursors)
          .set({ delivered, updatedAt: Date.now() })
          .where(and(eq(syncCursors.syncId, syncId), eq(syncCursors.stream, stream)));
        return finish("failed", sent, request.users, error);
      }
      sent += request.users;
      await db
        .update(syncCursors)
        .set({ delivered: delivered + 1, updatedAt: Date.now() })
        .where(and(eq(syncCursors.syncId, syncId), eq(syncCursors.stream, stream)));
    }
    await db.batch([
      db
        .update(syncCursors)
        .set({ lastSeq: end, pendingEnd: null, delivered: 0, updatedAt: Date.now() })
        .where(and(eq(syncCursors.syncId, syncId), eq(syncCursors.stream, stream))),
      ...(idProperty(destination) === null ? [] : [forgetDeparted(db, syncId, stream, cursor.lastSeq, end)]),
    ]);
    return finish("succeeded", sent, 0, null);
  } catch (err) {
    return finish("failed", 0, 0, String(err).slice(0, 500));
  }
}

/** The ids kept for erased members whose exit this window (after, end] delivered: needed no more. */
function forgetDeparted(db: DrizzleD1Database, syncId: string, cohortId: string, after: number, end: number) {
  const exited = db
    .select({ key: membershipChanges.profileKey })
    .from(membershipChanges)
    .where(
      and(eq(membershipChanges.cohortId, cohortId), gt(membershipChanges.seq, after), lte(membershipChanges.seq, end), eq(membershipChanges.inCohort, false)),
    );
  return db.delete(departedIds).where(and(eq(departedIds.syncId, syncId), inArray(departedIds.profileKey, exited)));
}

/**
 * Sends one request; retries 5xx, 429 and network errors, waiting what `Retry-After` asks
 * (seconds or an HTTP-date) or else backing off exponentially with jitter. A destination
 * asking for more than MAX_WAIT_MS ends the attempt: the run fails and a later one resumes.
 */
export async function deliver(request: OutboundRequest, backoffMs: number, sleep: (ms: number) => Promise<unknown>): Promise<string | null> {
  let lastError = "";
  for (let attempt = 1; ; attempt++) {
    let retryAfter: string | null = null;
    try {
      const res = await fetch(request.url, { method: request.method, headers: await request.headers(Date.now()), body: request.body });
      if (res.ok) return null;
      lastError = `HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`;
      if (res.status !== 429 && res.status < 500) return lastError; // the destination refused it: retrying will not help
      retryAfter = res.headers.get("retry-after");
    } catch (err) {
      lastError = String(err);
    }
    if (attempt === ATTEMPTS) return lastError;
    const wait = retryDelay(attempt, backoffMs, retryAfter, Date.now(), MAX_WAIT_MS);
    if (wait === null) return `${lastError} (Retry-After ${retryAfter} is longer than ${MAX_WAIT_MS / 1000} s: left to a later run)`;
    await sleep(wait);
  }
}

/** Whether the sync's last FAILING_AFTER runs all failed (`failingSyncs` for a whole project). */
export async function isFailing(env: Pick<Env, "DB">, syncId: string): Promise<boolean> {
  const db = drizzle(env.DB);
  const recent = await db
    .select({ status: syncRuns.status })
    .from(syncRuns)
    .where(eq(syncRuns.syncId, syncId))
    .orderBy(desc(syncRuns.startedAt), desc(sql`rowid`))
    .limit(FAILING_AFTER);
  return recent.length === FAILING_AFTER && recent.every((r) => r.status === "failed");
}

/**
 * Each sync's latest run and the failed runs since its last success (isDue, nextRunAt):
 * of one project's syncs, or of every project's (the cron).
 */
export async function lastRuns(env: Pick<Env, "DB">, projectId: string | null): Promise<Map<string, LastRun>> {
  const { results } = await env.DB.prepare(
    `WITH ok AS (SELECT sync_id, max(started_at) AS at FROM sync_runs WHERE status = 'succeeded' GROUP BY sync_id)
     SELECT r.sync_id AS id, max(r.started_at) AS at, sum(r.status = 'failed' AND r.started_at > coalesce(ok.at, 0)) AS failed
     FROM sync_runs r JOIN syncs s ON s.id = r.sync_id LEFT JOIN ok ON ok.sync_id = r.sync_id
     WHERE ?1 IS NULL OR s.project_id = ?1 GROUP BY r.sync_id`,
  )
    .bind(projectId)
    .all<{ id: string; at: number; failed: number }>();
  return new Map(results.map((r) => [r.id, { at: r.at, failedInARow: r.failed }]));
}

/** The project's syncs whose last FAILING_AFTER runs all failed: one query, FAILING_AFTER index rows per sync. */
export async function failingSyncs(env: Pick<Env, "DB">, projectId: string): Promise<Set<string>> {
  const { results } = await env.DB.prepare(
    `SELECT s.id FROM syncs s WHERE s.project_id = ?1 AND ?2 = (
       SELECT count(*) FROM sync_runs r WHERE r.status = 'failed' AND r.rowid IN (
         SELECT rowid FROM sync_runs WHERE sync_id = s.id ORDER BY started_at DESC, rowid DESC LIMIT ?2))`,
  )
    .bind(projectId, FAILING_AFTER)
    .all<{ id: string }>();
  return new Set(results.map((r) => r.id));
}
