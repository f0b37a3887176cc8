import { csvCell } from "../csv-cell";
import { profileIds } from "../event";
import type { Json } from "../json";
import type { NetChange } from "./diff";
import type { PropertyChange } from "./property-diff";

/** Rows as a file: NDJSON as they are, or CSV with these columns (nested values as JSON). */
function rowsFile(
  rows: readonly Record<string, Json>[],
  columns: readonly string[],
  format: "csv" | "ndjson",
  cell: (row: Record<string, Json>, column: string) => Json = (r, c) => r[c] ?? null,
): string {
  if (format === "ndjson") return rows.map((r) => JSON.stringify(r)).join("\n") + (rows.length > 0 ? "\n" : "");
  return [columns.map(csvCell).join(","), ...rows.map((r) => columns.map((c) => csvCell(cell(r, c))).join(","))].join("\n") + "\n";
}

/** A run's changes as a file: one row per user with its new state and when it changed. */
export function exportFile(changes: readonly NetChange[], format: "csv" | "ndjson"): string {
  const rows = changes.map((c) => ({ ...profileIds(c.profileKey), in_cohort: c.inCohort, changed_at: new Date(c.changedAt).toISOString() }));
  return rowsFile(rows, ["user_id", "device_id", "in_cohort", "changed_at"], format);
}

/** A property sync's changes as a file: one row per user, in CSV one column per value. */
export function propertyExportFile(changes: readonly PropertyChange[], names: readonly string[], format: "csv" | "ndjson"): string {
  const rows = changes.map((c) => ({ ...profileIds(c.profileKey), in_cohort: c.inCohort, properties: c.properties }));
  const fixed = ["user_id", "device_id", "in_cohort"];
  return rowsFile(rows, [...fixed, ...names], format, (r, c) => (fixed.includes(c) ? (r[c] ?? null) : ((r.properties as Record<string, Json>)[c] ?? null)));
}
/** Where the files of a sync's exports live. */
export const syncExportPrefix = (projectId: string, syncId: string): string => `exports/${projectId}/syncs/${syncId}/`;

/** Where a sync's export of the change-log range (after, end] lives (deterministic: a retry overwrites). */
export function syncExportKey(projectId: string, syncId: string, after: number, end: number, format: "csv" | "ndjson"): string {
  return `${syncExportPrefix(projectId, syncId)}${String(after + 1).padStart(12, "0")}-${String(end).padStart(12, "0")}.${format}`;
}
