import { and, eq, inArray, sql } from "drizzle-orm";
import { compileDefinitions, DefinitionError, type DefinitionSet } from "../core/segments/compile";
import type { Prediction } from "../core/predictions";
import { VALUE_DESTINATIONS, type Sync } from "../core/syncs/schema";
import { cohorts, computations, destinations, predictions, syncs } from "../db/schema";
import type { Db } from "./db";
import type { DefinitionKind } from "./definition-store";
import { AppError } from "./errors";

// What a definition write must not break: references to what exists, and a project whose segmentation still compiles.

function unknownReferences(who: string, missing: string[]): AppError {
  const list = missing.join(", ");
  return new AppError(400, "invalid_request", `${who} refers to unknown ${list}`, [{ field: "definition", message: `unknown ${list}` }]);
}

export async function checkNotUsedBySyncs(db: Db, projectId: string, id: string): Promise<void> {
  const users = await db
    .select({ id: syncs.id })
    .from(syncs)
    .where(
      and(
        eq(syncs.projectId, projectId),
        sql`(json_extract(${syncs.definition}, '$.destination_id') = ${id} OR json_extract(${syncs.definition}, '$.what.cohort_id') = ${id})`,
      ),
    );
  if (users.length > 0) {
    throw new AppError(400, "invalid_request", `${id} is used by sync ${users.map((u) => u.id).join(", ")}`, [{ field: "id", message: "in use by a sync" }]);
  }
}

export async function checkSyncReferences(db: Db, projectId: string, sync: Sync): Promise<void> {
  const what = sync.what;
  const [dest, cohort, comps, preds] = await Promise.all([
    db
      .select({ id: destinations.id, definition: destinations.definition })
      .from(destinations)
      .where(and(eq(destinations.id, sync.destination_id), eq(destinations.projectId, projectId)))
      .get(),
    db
      .select({ id: cohorts.id })
      .from(cohorts)
      .where(and(eq(cohorts.id, what.cohort_id), eq(cohorts.projectId, projectId)))
      .get(),
    what.kind === "properties" && what.computations.length > 0
      ? db
          .select({ id: computations.id })
          .from(computations)
          .where(
            and(
              eq(computations.projectId, projectId),
              inArray(
                computations.id,
                what.computations.map((c) => c.id),
              ),
            ),
          )
      : [],
    what.kind === "properties" && what.predictions.length > 0
      ? db
          .select({ id: predictions.id })
          .from(predictions)
          .where(
            and(
              eq(predictions.projectId, projectId),
              inArray(
                predictions.id,
                what.predictions.map((p) => p.id),
              ),
            ),
          )
      : [],
  ]);
  const found = new Set([...comps, ...preds].map((r) => r.id));
  const missing = [
    ...(dest ? [] : [`destination ${sync.destination_id}`]),
    ...(cohort ? [] : [`cohort ${what.cohort_id}`]),
    ...(what.kind === "properties"
      ? [...what.computations.map((c) => `computation ${c.id}`), ...what.predictions.map((p) => `prediction ${p.id}`)].filter(
          (name) => !found.has(name.split(" ")[1]!),
        )
      : []),
  ];
  if (missing.length > 0) throw unknownReferences("sync", missing);
  const type = (dest!.definition as { type: string }).type;
  if (what.kind === "properties" && !(VALUE_DESTINATIONS as readonly string[]).includes(type)) {
    throw new AppError(400, "invalid_request", `a ${type} destination takes cohort syncs only (property syncs go to ${VALUE_DESTINATIONS.join(", ")})`, [
      { field: "definition.what.kind", message: `not supported by ${type}` },
    ]);
  }
}

export function checkPredictionReferences(set: DefinitionSet, id: string, p: Prediction): void {
  const missing = [
    ...(p.population && !set.cohorts.some((c) => c.id === p.population!.cohort) ? [`cohort ${p.population.cohort}`] : []),
    ...p.computations.filter((c) => !set.computations.some((x) => x.id === c)).map((c) => `computation ${c}`),
  ];
  if (missing.length > 0) throw unknownReferences(`prediction ${id}`, missing);
}

/** Compiles the project's segmentation as it would be after the write (unknown references, cycles). */
export function checkCompiles(set: DefinitionSet, kind: DefinitionKind, id: string, definition: unknown): void {
  const others = { computations: set.computations.filter((c) => c.id !== id), cohorts: set.cohorts.filter((c) => c.id !== id) };
  // A prediction being removed must not leave a predictive cohort pointing at it.
  const predictionsAfter = (set.predictions ?? []).filter((p) => kind !== "predictions" || p.id !== id);
  const next: DefinitionSet = { version: "check", ...others, predictions: predictionsAfter };
  if (definition !== null) {
    if (kind === "computations") next.computations.push({ id, definition: definition as never });
    else next.cohorts.push({ id, definition: definition as never });
  }
  try {
    compileDefinitions(next);
  } catch (err) {
    if (err instanceof DefinitionError) {
      throw new AppError(400, "invalid_request", err.message, [{ field: definition === null ? "id" : "definition", message: err.message }]);
    }
    throw err;
  }
}
