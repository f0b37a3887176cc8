/** Ids from an uploaded CSV (or a plain list, one per line) for static cohorts. */

/** One CSV line's cells (RFC 4180 quotes; no embedded newlines). */
export function csvCells(line: string): string[] {
  const cells: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      cells.push(cell);
      cell = "";
    } else cell += ch;
  }
  cells.push(cell);
  return cells.map((c) => c.trim());
}

const HEADERS = ["user_id", "device_id", "id", "amplitude_id"];

/**
 * The id column: the one headed `user_id`/`device_id`/`id` when the first row is a
 * header (matching `idType` first), else the first column. Blanks and repeats are dropped.
 */
export function idsFromCsv(text: string, idType: "user_id" | "device_id" = "user_id"): string[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  if (lines.length === 0) return [];
  const header = csvCells(lines[0]!).map((h) => h.toLowerCase());
  let column = 0;
  let start = 0;
  if (header.some((h) => HEADERS.includes(h))) {
    start = 1;
    const preferred = [idType, "id", "user_id", "device_id", "amplitude_id"].map((h) => header.indexOf(h)).find((i) => i >= 0);
    column = preferred ?? 0;
  }
  const ids = lines
    .slice(start)
    .map((l) => csvCells(l)[column] ?? "")
    .filter((id) => id !== "");
  return [...new Set(ids)];
}
