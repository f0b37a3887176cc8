/**
 * Names a definition uses that the project's events never have — an event type, an
 * event's property in a filter, a user property — each with the path of the field and,
 * when one is close, the name meant ("order completed" → "Order Completed"). Warnings,
 * not errors: a definition may name what has not happened yet.
 */
export interface Vocabulary {
  events: readonly string[];
  /** Per event type, its properties. */
  eventProperties: Readonly<Record<string, readonly string[]>>;
  userProperties: readonly string[];
}

export interface NameWarning {
  path: string;
  message: string;
}

/** The known name closest to `name`: the same but for case and spacing, or within two edits. */
export function closestName(name: string, known: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[\s_-]+/g, "");
  const exact = known.find((k) => norm(k) === norm(name));
  if (exact !== undefined) return exact;
  let best: { name: string; d: number } | undefined;
  for (const k of known) {
    const d = editDistance(norm(k), norm(name), 2);
    if (d <= 2 && (best === undefined || d < best.d)) best = { name: k, d };
  }
  return best?.name;
}

/** Levenshtein distance, given up past `limit` (then limit + 1). */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    if (Math.min(...current) > limit) return limit + 1;
    previous = current;
  }
  return previous[b.length]!;
}

const quote = (s: string) => JSON.stringify(s);
const suggestion = (name: string, known: readonly string[]) => {
  const close = closestName(name, known);
  return close === undefined || close === name ? "" : ` (did you mean ${quote(close)}?)`;
};

/**
 * Walks any definition (cohort, computed property, prediction, recommendation): an
 * object with `type` beside a `filters` array or under an `event` key is an event spec,
 * `user_property` clauses name user properties.
 */
export function unseenNames(definition: unknown, vocabulary: Vocabulary): NameWarning[] {
  const warnings: NameWarning[] = [];
  const events = new Set(vocabulary.events);
  const userProperties = new Set(vocabulary.userProperties);
  const visit = (node: unknown, path: string[]) => {
    if (Array.isArray(node)) {
      node.forEach((n, i) => {
        visit(n, [...path, String(i)]);
      });
      return;
    }
    if (node === null || typeof node !== "object") return;
    const o = node as Record<string, unknown>;
    const isEventSpec = path.at(-1) === "event" || path.at(-2) === "steps";
    if (isEventSpec && typeof o.type === "string" && o.type !== "*") {
      const type = o.type;
      if (!events.has(type))
        warnings.push({
          path: [...path, "type"].join("."),
          message: `No event named ${quote(type)} has been seen in this project${suggestion(type, vocabulary.events)}`,
        });
      else if (Array.isArray(o.filters)) {
        const known = vocabulary.eventProperties[type] ?? [];
        o.filters.forEach((f, i) => {
          const property = (f as { property?: unknown } | null)?.property;
          if (typeof property === "string" && !known.includes(property))
            warnings.push({
              path: [...path, "filters", String(i), "property"].join("."),
              message: `${quote(type)} events have never carried a property ${quote(property)}${suggestion(property, known)}`,
            });
        });
      }
    }
    if (path.at(-1) === "user_property" && typeof o.property === "string" && !userProperties.has(o.property))
      warnings.push({
        path: [...path, "property"].join("."),
        message: `No user property ${quote(o.property)} has been seen in this project${suggestion(o.property, vocabulary.userProperties)}`,
      });
    for (const [k, v] of Object.entries(o)) visit(v, [...path, k]);
  };
  visit(definition, []);
  return warnings;
}
