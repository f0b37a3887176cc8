import { drizzle } from "drizzle-orm/d1";
import { cacheNamespace } from "../core/isolate-cache";
import { compileLeniently, type CompiledSegments } from "../core/segments/compile";
import { definitionsVersion, loadDefinitionSet } from "./definitions";
import * as schema from "./schema";

/**
 * Compiled definitions per project, shared by every profile in this isolate. Ingest
 * calls carry the version the edge saw (the edge re-checks it every couple of seconds),
 * so a profile reads D1 only when that version is new to its isolate; other callers
 * (alarms, reads) re-check at most every `maxAgeMs`. A new version is compiled once.
 */
const CHECK_MS = 2_000;
/** Compiled sets are small but many projects may pass through one isolate: the least recently used go. */
const cache = cacheNamespace<{ compiled: CompiledSegments; checkedAt: number }>("compiled-definitions", { maxEntries: 256, ttlMs: Infinity });
const loading = new Map<string, Promise<CompiledSegments>>();

export async function currentDefinitions(
  env: Pick<Env, "DB">,
  projectId: string,
  { version, maxAgeMs = CHECK_MS }: { version?: number | undefined; maxAgeMs?: number } = {},
): Promise<CompiledSegments> {
  const now = Date.now();
  const hit = cache.get(projectId);
  if (hit !== undefined && version !== undefined && hit.compiled.version === String(version)) return hit.compiled;
  if (hit !== undefined && version === undefined && now - hit.checkedAt < maxAgeMs) return hit.compiled;
  const pending = loading.get(projectId);
  if (pending !== undefined) return pending;
  const load = (async () => {
    const db = drizzle(env.DB, { schema });
    const version = await definitionsVersion(db, projectId);
    if (hit !== undefined && String(version ?? 0) === hit.compiled.version) {
      hit.checkedAt = Date.now();
      return hit.compiled;
    }
    const { compiled, skipped } = compileLeniently(await loadDefinitionSet(db, projectId));
    for (const d of skipped) console.warn(`project ${projectId}: definition ${d.id} skipped (${d.reason})`);
    cache.set(projectId, { compiled, checkedAt: Date.now() });
    return compiled;
  })();
  loading.set(projectId, load);
  try {
    return await load;
  } finally {
    loading.delete(projectId);
  }
}

/** Forgets a project's compiled definitions (this isolate wrote a change to them). */
export function forgetDefinitions(projectId: string): void {
  cache.delete(projectId);
}
