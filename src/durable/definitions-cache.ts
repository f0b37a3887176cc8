import { drizzle } from "drizzle-orm/d1";
import { compileDefinitions, type CompiledSegments } from "../core/segments/compile";
import { definitionsVersion, loadDefinitionSet } from "../db/definitions";
import * as schema from "../db/schema";

/**
 * Compiled definitions per project, shared by every profile in this isolate. The
 * version is re-checked at most every CHECK_MS (one tiny D1 read per isolate), so an
 * edit reaches new events within seconds; a new version is loaded and compiled once.
 */
const CHECK_MS = 2_000;
const cache = new Map<string, { compiled: CompiledSegments; checkedAt: number }>();
const loading = new Map<string, Promise<CompiledSegments>>();

export async function currentDefinitions(env: Pick<Env, "DB">, projectId: string, maxAgeMs = CHECK_MS): Promise<CompiledSegments> {
  const now = Date.now();
  const hit = cache.get(projectId);
  if (hit !== undefined && now - hit.checkedAt < maxAgeMs) return hit.compiled;
  const pending = loading.get(projectId);
  if (pending !== undefined) return pending;
  const load = (async () => {
    const db = drizzle(env.DB, { schema });
    const version = await definitionsVersion(db, projectId);
    if (hit !== undefined && String(version ?? 0) === hit.compiled.version) {
      hit.checkedAt = Date.now();
      return hit.compiled;
    }
    const compiled = compileDefinitions(await loadDefinitionSet(db, projectId));
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

/** Forgets cached definitions (tests, and this isolate's own writes). */
export function forgetDefinitions(projectId?: string): void {
  if (projectId === undefined) cache.clear();
  else cache.delete(projectId);
}
