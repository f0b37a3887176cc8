import { DurableObject } from "cloudflare:workers";
import { and, count, eq, gt, isNull, ne } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { parseProfileKey } from "../core/event";
import { randomKey } from "../core/hash";
import { backfillJobs, users } from "../db/schema";
import { profileStub } from "./stub";

/** Profiles refreshed per alarm step (BACKFILL_PAGE overrides, e.g. in tests). */
const DEFAULT_PAGE = 50;

/**
 * One per project: runs the project's long jobs in alarm-sized steps. A backfill walks
 * the user registry in key order, asking each profile to recompute; the cursor is
 * saved in D1 after every page, so a restart resumes where it stopped.
 */
export class ProjectJobs extends DurableObject<Env> {
  async startBackfill(projectId: string, definitionsVersion: number): Promise<{ id: string; total: number }> {
    const db = drizzle(this.env.DB);
    const now = Date.now();
    const id = `bf_${randomKey(6)}`;
    const [{ total }] = (await db
      .select({ total: count() })
      .from(users)
      .where(and(eq(users.projectId, projectId), isNull(users.mergedInto)))) as [{ total: number }];
    await db.batch([
      db
        .update(backfillJobs)
        .set({ status: "superseded", updatedAt: now, finishedAt: now })
        .where(and(eq(backfillJobs.projectId, projectId), eq(backfillJobs.status, "running"))),
      db.insert(backfillJobs).values({ id, projectId, definitionsVersion, status: "running", total, startedAt: now, updatedAt: now }),
    ]);
    await this.ctx.storage.put("job", { id, projectId });
    await this.ctx.storage.setAlarm(now);
    return { id, total };
  }

  override async alarm(): Promise<void> {
    const current = await this.ctx.storage.get<{ id: string; projectId: string }>("job");
    if (current === undefined) return;
    const db = drizzle(this.env.DB);
    const job = await db.select().from(backfillJobs).where(eq(backfillJobs.id, current.id)).get();
    if (job === undefined || job.status !== "running") {
      await this.ctx.storage.delete("job");
      return;
    }
    const page = await db
      .select({ key: users.profileKey })
      .from(users)
      .where(and(eq(users.projectId, job.projectId), isNull(users.mergedInto), gt(users.profileKey, job.cursor)))
      .orderBy(users.profileKey)
      .limit(Number(this.env.BACKFILL_PAGE ?? DEFAULT_PAGE));
    const now = Date.now();
    if (page.length === 0) {
      await db.update(backfillJobs).set({ status: "succeeded", updatedAt: now, finishedAt: now }).where(eq(backfillJobs.id, job.id));
      await this.ctx.storage.delete("job");
      return;
    }
    const results = await Promise.allSettled(page.map((u) => profileStub(this.env, job.projectId, parseProfileKey(u.key)).refresh()));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    await db
      .update(backfillJobs)
      .set({
        cursor: page[page.length - 1]!.key,
        processed: job.processed + page.length,
        failures: job.failures + failed.length,
        lastError: failed.length > 0 ? String(failed[0]!.reason).slice(0, 500) : job.lastError,
        updatedAt: now,
      })
      .where(and(eq(backfillJobs.id, job.id), ne(backfillJobs.status, "superseded")));
    await this.ctx.storage.setAlarm(Date.now());
  }
}
