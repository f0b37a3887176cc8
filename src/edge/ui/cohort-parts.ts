import { countRows } from "./cohort-edit";
import type { Fields } from "./forms";
import {
  decodeInstant,
  decodeNumber,
  decodeValue,
  DURATION_UNITS,
  durationFromFields,
  durationToFields,
  encodeInstant,
  encodeValue,
  instantText,
} from "./cohort-values";

/**
 * The parts cohort clauses share — event specs with their filter rows, windows,
 * durations — as path-named fields (`<prefix>.type`, `<prefix>.f.<i>.op`, …), and back.
 */

/** Reads posted fields into a definition, noting which definition path each field fills and what is wrong before the API sees it. */
export class Reader {
  readonly paths: [string, string][] = [];
  /** Problems the API would only report vaguely (a type error inside the clause union reads "Invalid input"). */
  readonly problems: Record<string, string> = {};
  constructor(readonly fields: Fields) {}

  map(path: string, field: string): void {
    this.paths.push([path, field]);
  }

  text(name: string, path: string): string {
    this.map(path, name);
    return this.fields[name] ?? "";
  }

  number(name: string, path: string, required = false): number | undefined {
    this.map(path, name);
    const v = decodeNumber(this.fields[name]);
    if (typeof v === "string") this.problems[name] = "Enter a number";
    else if (v === undefined && required) this.problems[name] = "Required";
    return typeof v === "number" ? v : undefined;
  }

  instant(name: string, path: string): number | string | undefined {
    this.map(path, name);
    const v = decodeInstant(this.fields[name]);
    if (v === undefined) this.problems[name] = "Required";
    else if (!instantText.safeParse(this.fields[name]!.trim()).success)
      this.problems[name] = "A date (2024-01-31), an ISO time with offset, or epoch milliseconds";
    return v;
  }

  duration(prefix: string, path: string): Record<string, unknown> {
    this.map(path, prefix);
    for (const unit of DURATION_UNITS) this.number(`${prefix}.${unit}`, `${path}.${unit}`);
    return durationFromFields(this.fields, prefix);
  }

  /** How many indexed rows `<prefix>.<i>` there are, by a field every row posts. */
  count(prefix: string, field: string): number {
    return countRows(this.fields, prefix, field);
  }
}

type Filter = { property?: unknown; op?: unknown; value?: unknown };
type Spec = { type?: unknown; filters?: Filter[] };

/** Filter rows `<prefix>.f.<i>.{property,op,value}` for a list of property filters. */
export function filtersToFields(filters: unknown, prefix: string, out: Fields): void {
  ((filters ?? []) as Filter[]).forEach((f, i) => {
    const op = String(f.op ?? "eq");
    out[`${prefix}.f.${i}.property`] = String(f.property ?? "");
    out[`${prefix}.f.${i}.op`] = op;
    out[`${prefix}.f.${i}.value`] = encodeValue(f.value, op);
  });
}

/** The property filters in the rows `<prefix>.f.<i>`, each mapped to `<arrayPath>.<i>`. */
export function filtersFromFields(r: Reader, prefix: string, arrayPath: string): Record<string, unknown>[] {
  return Array.from({ length: r.count(`${prefix}.f`, "op") }, (_, i) => {
    const f = `${prefix}.f.${i}`;
    const p = `${arrayPath}.${i}`;
    r.map(p, `${f}.property`);
    const property = r.text(`${f}.property`, `${p}.property`);
    const op = r.text(`${f}.op`, `${p}.op`);
    r.map(`${p}.value`, `${f}.value`);
    const value = decodeValue(r.fields[`${f}.value`], op);
    return { property, op, ...(value === undefined ? {} : { value }) };
  });
}

export function eventToFields(spec: unknown, prefix: string, out: Fields): void {
  const s = (spec ?? {}) as Spec;
  out[`${prefix}.type`] = String(s.type ?? "");
  filtersToFields(s.filters, prefix, out);
}

export function eventFromFields(r: Reader, prefix: string, path: string): Record<string, unknown> {
  r.map(path, `${prefix}.type`);
  const type = r.text(`${prefix}.type`, `${path}.type`);
  const filters = filtersFromFields(r, prefix, `${path}.filters`);
  return { type, ...(filters.length > 0 ? { filters } : {}) };
}

export function windowToFields(window: unknown, prefix: string, out: Fields): void {
  const w = (window ?? { kind: "all" }) as { kind?: string; duration?: unknown; from?: unknown; to?: unknown; event?: unknown };
  out[`${prefix}.kind`] = w.kind ?? "all";
  if (w.kind === "rolling") durationToFields(w.duration, `${prefix}.duration`, out);
  if (w.kind === "since" || w.kind === "between") out[`${prefix}.from`] = encodeInstant(w.from);
  if (w.kind === "between") out[`${prefix}.to`] = encodeInstant(w.to);
  if (w.kind === "since_last") eventToFields(w.event, `${prefix}.event`, out);
}

export function windowFromFields(r: Reader, prefix: string, path: string): Record<string, unknown> {
  const kind = r.text(`${prefix}.kind`, path) || "all";
  switch (kind) {
    case "rolling":
      return { kind, duration: r.duration(`${prefix}.duration`, `${path}.duration`) };
    case "since":
      return { kind, from: r.instant(`${prefix}.from`, `${path}.from`) };
    case "between":
      return { kind, from: r.instant(`${prefix}.from`, `${path}.from`), to: r.instant(`${prefix}.to`, `${path}.to`) };
    case "since_last":
      return { kind, event: eventFromFields(r, `${prefix}.event`, `${path}.event`) };
    default:
      return { kind: "all" };
  }
}
