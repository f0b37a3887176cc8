import type { Child } from "hono/jsx";
import { FILTER_OPS } from "../../core/segments/schema";
import { countRows } from "./cohort-edit";
import { errorId, ErrorText as FieldError, fieldId, type FieldErrors, type Option } from "./fields";
import type { Fields } from "./forms";

/**
 * Inputs of the cohort editor: labelled, with the API's error beside them
 * (aria-describedby), focused after the edit that created them, and — for selects that
 * change which fields a node has — `data-refresh` (the page's script re-renders the form
 * on change; without it, "Update form" does).
 */
export interface Ctx {
  fields: Fields;
  errors: FieldErrors;
  focus?: string | undefined;
  /** What the project's events have used (GET /catalog), offered as each box's suggestions. */
  vocabulary?: Vocabulary | undefined;
}

/** The catalog as the pickers read it. */
export interface Vocabulary {
  events: { name: string }[];
  event_properties: Record<string, { name: string; values: string[] }[]>;
  user_properties: { name: string; values: string[] }[];
}

/** A stored value (JSON-encoded) as it is typed in a box: strings bare. */
const typed = (json: string): string => {
  const v = JSON.parse(json) as unknown;
  return typeof v === "string" ? v : json;
};

/** Suggestions for a property's box and its value's box (an event type's properties, or the user properties). */
export function propertyOptions(properties: { name: string; values: string[] }[] | undefined, chosen: string | undefined) {
  return {
    names: (properties ?? []).map((p) => p.name),
    values: (properties ?? []).find((p) => p.name === chosen)?.values.map(typed) ?? [],
  };
}

export function ErrorText(props: { ctx: Ctx; name: string }) {
  return <FieldError name={props.name} errors={props.ctx.errors} />;
}

/** Attributes tying an input to its own error, or to a group's (`describedBy`). */
function a11y(ctx: Ctx, name: string, describedBy?: string) {
  const ids = [name, describedBy].filter((n): n is string => n !== undefined && ctx.errors[n] !== undefined).map(errorId);
  return {
    ...(ctx.errors[name] === undefined ? {} : { "aria-invalid": "true" }),
    ...(ids.length === 0 ? {} : { "aria-describedby": ids.join(" ") }),
    autofocus: ctx.focus === name ? true : undefined,
  };
}

interface Common {
  ctx: Ctx;
  name: string;
  label: string;
  hint?: Child;
  describedBy?: string;
}

export function Box(props: Common & { type?: "text" | "number"; placeholder?: string; fallback?: string; options?: readonly string[] }) {
  const value = props.ctx.fields[props.name] ?? props.fallback ?? "";
  const listId = props.options !== undefined && props.options.length > 0 ? `${fieldId(props.name)}-options` : undefined;
  return (
    <div class="field">
      <label for={fieldId(props.name)}>{props.label}</label>
      <input
        id={fieldId(props.name)}
        name={props.name}
        type={props.type ?? "text"}
        value={value}
        placeholder={props.placeholder}
        step={props.type === "number" ? "any" : undefined}
        list={listId}
        autocomplete={listId === undefined ? undefined : "off"}
        {...a11y(props.ctx, props.name, props.describedBy)}
      />
      {listId === undefined ? null : (
        <datalist id={listId}>
          {props.options!.map((o) => (
            <option value={o} />
          ))}
        </datalist>
      )}
      {props.hint === undefined ? null : <div class="hint">{props.hint}</div>}
      <ErrorText ctx={props.ctx} name={props.name} />
    </div>
  );
}

/** A select; a stored value missing from the options is kept as an extra option. */
export function Pick(props: Common & { options: readonly Option[]; fallback?: string; refresh?: boolean }) {
  const value = props.ctx.fields[props.name] ?? props.fallback ?? props.options[0]?.[0] ?? "";
  const options = props.options.some(([v]) => v === value) ? props.options : [...props.options, [value, `${value} (not found)`] as const];
  return (
    <div class="field">
      <label for={fieldId(props.name)}>{props.label}</label>
      <select id={fieldId(props.name)} name={props.name} data-refresh={props.refresh ? "" : undefined} {...a11y(props.ctx, props.name, props.describedBy)}>
        {options.map(([v, l]) => (
          <option value={v} selected={v === value}>
            {l}
          </option>
        ))}
      </select>
      {props.hint === undefined ? null : <div class="hint">{props.hint}</div>}
      <ErrorText ctx={props.ctx} name={props.name} />
    </div>
  );
}

/** The "not" checkbox; its value is how many times the node is negated (2 for `not: {not: …}`). */
export function Negate(props: { ctx: Ctx; name: string }) {
  const times = Number(props.ctx.fields[props.name] ?? 0) || 0;
  return (
    <div class="field">
      <label for={fieldId(props.name)}>{times > 1 ? `Not (×${times})` : "Not"}</label>
      <input
        id={fieldId(props.name)}
        name={props.name}
        type="checkbox"
        value={String(Math.max(1, times))}
        checked={times > 0}
        {...a11y(props.ctx, props.name)}
      />
      <ErrorText ctx={props.ctx} name={props.name} />
    </div>
  );
}

/** A checkbox posting "true" when checked, its label beside it. */
export function Check(props: { ctx: Ctx; name: string; label: string }) {
  const { ctx, name } = props;
  return (
    <div class="field">
      <label for={fieldId(name)}>
        <input id={fieldId(name)} name={name} type="checkbox" value="true" checked={ctx.fields[name] === "true"} {...a11y(ctx, name)} /> {props.label}
      </label>
      <ErrorText ctx={ctx} name={name} />
    </div>
  );
}

/** A submit button that edits the form's structure (no validation: it saves nothing). */
export function EditButton(props: { ctx: Ctx; action: string; label: string; children: Child; danger?: boolean }) {
  const value = `edit:${props.action}`;
  return (
    <button
      type="submit"
      name="mode"
      value={value}
      formnovalidate
      class={props.danger ? "danger" : "secondary"}
      aria-label={props.label}
      autofocus={props.ctx.focus === value ? true : undefined}
    >
      {props.children}
    </button>
  );
}

export const FILTER_OPTIONS: Option[] = FILTER_OPS.map((op) => [op, op]);
export const VALUE_HINT = "numbers, true/false, a,b,c for in; JSON for anything else";

/**
 * An event spec's property filter rows `<prefix>.f.<i>`, each with its remove button, then
 * the add button (`showError`: with the error the API gives the rows as a whole, at `prefix`).
 * The legends and button labels are the caller's, by row (`i` counts from 1).
 */
export function FilterRows(props: {
  ctx: Ctx;
  prefix: string;
  /** The event type the filters apply to (its properties are suggested). */
  eventType?: string | undefined;
  legend: (i: number) => string;
  removeLabel: (i: number) => string;
  addLabel: string;
  addText: string;
  showError?: boolean;
}) {
  const { ctx, prefix } = props;
  return (
    <>
      {Array.from({ length: countRows(ctx.fields, `${prefix}.f`, "op") }, (_, i) => {
        const row = `${prefix}.f.${i}`;
        const known = propertyOptions(ctx.vocabulary?.event_properties[props.eventType ?? ""], ctx.fields[`${row}.property`]);
        return (
          <fieldset class="clause" id={fieldId(row)}>
            <legend>{props.legend(i + 1)}</legend>
            <Box ctx={ctx} name={`${row}.property`} label="Property" options={known.names} />
            <Pick ctx={ctx} name={`${row}.op`} label="Op" options={FILTER_OPTIONS} />
            <Box ctx={ctx} name={`${row}.value`} label="Value" hint={VALUE_HINT} options={known.values} />
            <div class="field">
              <EditButton ctx={ctx} action={`remove ${row}`} label={props.removeLabel(i + 1)} danger>
                Remove filter
              </EditButton>
            </div>
          </fieldset>
        );
      })}
      <div class="field">
        <EditButton ctx={ctx} action={`add-filter ${prefix}`} label={props.addLabel}>
          {props.addText}
        </EditButton>
        {props.showError ? <ErrorText ctx={ctx} name={prefix} /> : null}
      </div>
    </>
  );
}
