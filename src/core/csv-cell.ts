import type { Json } from "./json";

/** One CSV field, always quoted (RFC 4180: inner quotes doubled); null and missing are empty. */
export function csvCell(value: Json | undefined): string {
  if (value === undefined || value === null) return '""';
  const text = typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value);
  return `"${text.replaceAll('"', '""')}"`;
}
