/**
 * Pure helpers for the admin UI's forms: posted fields → API bodies, and API error
 * details → messages next to the fields they concern.
 */

export type Fields = Record<string, string>;

/** What a structured form produced: the definition, and which definition paths each field fills. */
export interface Built {
  definition: Record<string, unknown>;
  /** [definition path prefix, field name]; the longest matching prefix names an error's field. */
  paths: [string, string][];
  /** Errors by field found while building (shown without asking the API). */
  problems?: Record<string, string>;
}

/** A typed value from a text box: numbers, booleans and JSON arrays as such, else the string. */
export function parseValue(text: string | undefined, op?: string): unknown {
  const s = (text ?? "").trim();
  if (s === "") return undefined;
  if ((op === "in" || op === "not_in") && !s.startsWith("[")) return s.split(",").map((part) => parseValue(part));
  if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(s)) return Number(s);
  if (s === "true" || s === "false") return s === "true";
  if (s.startsWith("[") || s.startsWith("{") || s.startsWith('"')) {
    try {
      return JSON.parse(s) as unknown;
    } catch {
      return s;
    }
  }
  return s;
}

/** The text box form of a value (the inverse of parseValue for what it produces). */
export function showValue(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  if (Array.isArray(value) && value.every((v) => typeof v !== "object")) return value.map((v) => showValue(v)).join(",");
  return JSON.stringify(value);
}

export interface ErrorDetail {
  field: string;
  message: string;
}

/** The `details` of an API error body, when it has them. */
export function errorDetails(body: unknown): { message: string; details: ErrorDetail[] } {
  const error = (body as { error?: { message?: unknown; details?: unknown } } | null)?.error;
  const message = typeof error?.message === "string" ? error.message : "The request failed";
  const raw = Array.isArray(error?.details) ? error.details : error?.details !== undefined && typeof error.details === "object" ? [error.details] : [];
  const details = raw
    .filter((d): d is ErrorDetail => typeof (d as ErrorDetail)?.field === "string")
    .map((d) => ({ field: d.field, message: typeof d.message === "string" ? d.message : message }));
  return { message, details };
}

/**
 * Errors by form field. Envelope fields (`name`, `description`, `status`) map to
 * themselves; definition paths to the field whose prefix matches longest, or to
 * `fallback` (the JSON editor, or the form as a whole).
 */
export function fieldErrors(body: unknown, paths: [string, string][], fallback: string): Record<string, string> {
  const { message, details } = errorDetails(body);
  const out: Record<string, string> = {};
  const put = (field: string, text: string) => {
    out[field] = out[field] === undefined ? text : `${out[field]}; ${text}`;
  };
  for (const d of details) {
    if (d.field === "name" || d.field === "description" || d.field === "status") {
      put(d.field, d.message);
      continue;
    }
    const path = d.field.replace(/^definition\.?/, "");
    let best: [string, string] | undefined;
    for (const entry of paths) {
      const [prefix] = entry;
      if ((path === prefix || path.startsWith(`${prefix}.`) || prefix === "") && (best === undefined || prefix.length > best[0].length)) best = entry;
    }
    put(best?.[1] ?? fallback, fallback !== "_form" || best !== undefined ? d.message : `${d.field}: ${d.message}`);
  }
  if (details.length === 0) put(fallback === "_form" ? "_form" : fallback, message);
  return out;
}

/** Sets `value` at a dotted path (numeric segments are array indexes). */
export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split(".");
  let node: Record<string, unknown> = target;
  parts.forEach((part, i) => {
    if (i === parts.length - 1) {
      node[part] = value;
      return;
    }
    const next = node[part];
    if (next === null || typeof next !== "object") node[part] = /^\d+$/.test(parts[i + 1]!) ? [] : {};
    node = node[part] as Record<string, unknown>;
  });
}

/**
 * A definition from fields named by their JSON path under `d.` (`d.goal.event.type`);
 * a `:number` suffix parses a number, `:value` a typed value, `:list` a comma list.
 * Empty fields are left out.
 */
export function definitionFromPaths(fields: Fields): Built {
  const definition: Record<string, unknown> = {};
  const paths: [string, string][] = [];
  for (const [name, raw] of Object.entries(fields)) {
    if (!name.startsWith("d.")) continue;
    const [path, type] = name.slice(2).split(":") as [string, string | undefined];
    paths.push([path, name]);
    const text = raw.trim();
    if (text === "") continue;
    const value =
      type === "number"
        ? Number(text)
        : type === "value"
          ? parseValue(text)
          : type === "list"
            ? text
                .split(",")
                .map((s) => s.trim())
                .filter(Boolean)
            : text;
    setPath(definition, path, value);
  }
  return { definition, paths };
}

/** Reads a dotted path. */
export function getPath(value: unknown, path: string): unknown {
  let node = value;
  for (const part of path.split(".")) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** Fields named by path (see definitionFromPaths) for a stored definition. */
export function fieldsFromPaths(definition: unknown, names: readonly string[]): Fields {
  const fields: Fields = {};
  for (const name of names) fields[name] = showValue(getPath(definition, name.slice(2).split(":")[0]!));
  return fields;
}
