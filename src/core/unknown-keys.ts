/**
 * Keys a JSON value has that its JSON Schema does not know, as paths (`match.all.0.performed.count`).
 * Zod strips unknown keys, so a typo inside a definition would be dropped without a word;
 * the admin API refuses them instead, naming each. Stored definitions are still read
 * leniently: this runs on writes only.
 *
 * An object schema with `properties` is closed unless it has an `additionalProperties`
 * schema (a record); one with neither (an unrepresentable part) accepts anything. In a
 * union the value is held to the branches it fits (type, `const`s, required keys), and is
 * clean when one of them finds nothing.
 */
type JsonSchema = { [key: string]: unknown };

export function unknownKeys(schema: JsonSchema, value: unknown): string[] {
  const defs = (schema.$defs ?? {}) as Record<string, JsonSchema>;
  return walk(schema, value, [], defs);
}

function resolve(s: unknown, defs: Record<string, JsonSchema>): JsonSchema | null {
  let current = s;
  for (let hops = 0; hops < 32 && current !== null && typeof current === "object"; hops++) {
    const ref = (current as JsonSchema).$ref;
    if (typeof ref !== "string") return current as JsonSchema;
    current = defs[ref.replace("#/$defs/", "")];
  }
  return null;
}

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

/** Whether a union branch could be the one meant for `v`. */
function fits(b: JsonSchema, v: unknown, defs: Record<string, JsonSchema>): boolean {
  const t = b.type;
  const actual = typeOf(v);
  if (typeof t === "string" && t !== actual && !(t === "integer" && actual === "number")) return false;
  if ("const" in b && b.const !== v) return false;
  if (actual !== "object" || v === null) return true;
  const object = v as Record<string, unknown>;
  if (Array.isArray(b.required) && !b.required.every((k) => typeof k === "string" && k in object)) return false;
  const props = (b.properties ?? {}) as Record<string, unknown>;
  return Object.entries(props).every(([k, p]) => {
    const r = resolve(p, defs);
    return r === null || !("const" in r) || !(k in object) || r.const === object[k];
  });
}

function walk(schema: unknown, value: unknown, path: (string | number)[], defs: Record<string, JsonSchema>): string[] {
  const s = resolve(schema, defs);
  if (s === null) return [];
  const branches = (s.anyOf ?? s.oneOf) as unknown[] | undefined;
  if (Array.isArray(branches)) {
    let best: string[] | null = null;
    for (const branch of branches) {
      const b = resolve(branch, defs);
      if (b === null || !fits(b, value, defs)) continue;
      const found = walk(b, value, path, defs);
      if (found.length === 0) return [];
      if (best === null || found.length < best.length) best = found;
    }
    // No branch fits: a shape error, which the schema's own validation reports.
    return best ?? [];
  }
  if (Array.isArray(value)) {
    const prefix = (s.prefixItems ?? []) as unknown[];
    return value.flatMap((item, i) => walk(prefix[i] ?? s.items, item, [...path, i], defs));
  }
  if (value === null || typeof value !== "object") return [];
  const props = s.properties as Record<string, unknown> | undefined;
  const extra = s.additionalProperties;
  return Object.entries(value as Record<string, unknown>).flatMap(([key, item]) => {
    if (props !== undefined && key in props) return walk(props[key], item, [...path, key], defs);
    if (extra !== undefined && extra !== false && typeof extra === "object") return walk(extra, item, [...path, key], defs);
    return props !== undefined || extra === false ? [[...path, key].join(".")] : [];
  });
}
