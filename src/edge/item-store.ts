import { and, eq } from "drizzle-orm";
import { cacheNamespace } from "../core/isolate-cache";
import type { JsonObject } from "../core/json";
import { itemLabel, type ItemDetail } from "../core/recommendations/item-label";
import { recommendationSchema } from "../core/recommendations/schema";
import { models } from "../db/schema";
import type { Db } from "./db";
import { getDefinition } from "./definition-store";
import { AppError } from "./errors";

/**
 * Items as the admin UI shows them: the active model's catalogue (published with it in
 * R2: each item's last seen item-event properties) gives each id its name and
 * properties. Read once per model version per isolate.
 */
const modelItems = cacheNamespace<Map<string, JsonObject>>("model-items", { maxEntries: 20, ttlMs: 10 * 60_000 });

async function catalogueOf(env: Pick<Env, "ARCHIVE">, modelId: string, r2Key: string): Promise<Map<string, JsonObject>> {
  return modelItems.load(modelId, async () => {
    const object = await env.ARCHIVE.get(`${r2Key}.json`);
    if (object === null) return new Map();
    const metadata = JSON.parse(new TextDecoder().decode(await object.arrayBuffer())) as { items?: { id: string; props: JsonObject }[] };
    return new Map((metadata.items ?? []).map((it) => [it.id, it.props]));
  });
}

/** The recommendation's items `ids`, each with its name and properties (empty when no model knows it yet). */
export async function itemDetails(env: Pick<Env, "ARCHIVE">, d: Db, projectId: string, recId: string, ids: readonly string[]): Promise<ItemDetail[]> {
  if (ids.length === 0) return [];
  const [definition, model] = await Promise.all([
    // A definition deleted meanwhile: its items are shown without names, not refused.
    getDefinition(d, "recommendations", projectId, recId).catch((err: unknown) => {
      if (err instanceof AppError && err.status === 404) return null;
      throw err;
    }),
    d
      .select({ id: models.id, r2Key: models.r2Key })
      .from(models)
      .where(and(eq(models.projectId, projectId), eq(models.ownerId, recId), eq(models.active, true)))
      .get(),
  ]);
  const parsed = recommendationSchema.safeParse(definition?.definition);
  const labelProperty = parsed.success ? parsed.data.label_property : undefined;
  const catalogue = model === undefined ? new Map<string, JsonObject>() : await catalogueOf(env, model.id, model.r2Key);
  return ids.map((id) => {
    const props = catalogue.get(id) ?? {};
    return { id, label: itemLabel(props, labelProperty), props };
  });
}
