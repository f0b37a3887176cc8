import { csvCell } from "./csv-cell";
import type { JsonObject } from "./json";

/**
 * The cohort download file, as Amplitude writes it: CSV with every field quoted, a
 * header of "amplitude_id","user_id" then one column per requested user property.
 * Tailor has no numeric Amplitude id: `amplitude_id` is the profile key (u:… / d:…).
 */
export interface CohortMemberRow {
  profileKey: string;
  userId: string | null;
  properties: JsonObject;
}

/** Property columns: the requested keys in request order, or every key seen, sorted. */
export function propertyColumns(rows: readonly CohortMemberRow[], requested: readonly string[]): string[] {
  if (requested.length > 0) return [...requested];
  const keys = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r.properties)) keys.add(k);
  return [...keys].sort();
}

export function cohortCsv(rows: readonly CohortMemberRow[], columns: readonly string[]): string {
  const lines = [["amplitude_id", "user_id", ...columns].map(csvCell).join(",")];
  for (const r of rows) lines.push([csvCell(r.profileKey), csvCell(r.userId), ...columns.map((c) => csvCell(r.properties[c]))].join(","));
  return lines.join("\n") + "\n";
}

export function cohortJson(rows: readonly CohortMemberRow[], columns: readonly string[]): string {
  return JSON.stringify(
    rows.map((r) => ({
      amplitude_id: r.profileKey,
      user_id: r.userId,
      ...(columns.length > 0 ? { user_properties: Object.fromEntries(columns.map((c) => [c, r.properties[c] ?? null])) } : {}),
    })),
  );
}

/** Where a cohort download's file is kept in R2. */
export function cohortExportKey(projectId: string, exportId: string, format: "csv" | "json"): string {
  return `exports/${projectId}/${exportId}.${format}`;
}
