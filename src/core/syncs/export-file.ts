import { csvCell } from "../csv-cell";
import type { NetChange } from "./diff";

/** A run's changes as a file: one row per user with its new state and when it changed. */
export function exportFile(changes: readonly NetChange[], format: "csv" | "ndjson"): string {
  const rows = changes.map((c) => {
    const user = c.profileKey.startsWith("u:");
    return {
      user_id: user ? c.profileKey.slice(2) : null,
      device_id: user ? null : c.profileKey.slice(2),
      in_cohort: c.inCohort,
      changed_at: new Date(c.changedAt).toISOString(),
    };
  });
  if (format === "ndjson") return rows.map((r) => JSON.stringify(r)).join("\n") + (rows.length > 0 ? "\n" : "");
  return ['"user_id","device_id","in_cohort","changed_at"', ...rows.map((r) => [r.user_id, r.device_id, r.in_cohort, r.changed_at].map(csvCell).join(","))].join("\n") + "\n";
}

/** Where a sync's export of the change-log range (after, end] lives (deterministic: a retry overwrites). */
export function syncExportKey(projectId: string, syncId: string, after: number, end: number, format: "csv" | "ndjson"): string {
  return `exports/${projectId}/syncs/${syncId}/${String(after + 1).padStart(12, "0")}-${String(end).padStart(12, "0")}.${format}`;
}
