import type { Child } from "hono/jsx";

/** Errors by form field name, shown next to the field. */
export type FieldErrors = Record<string, string>;
export type Option = readonly [value: string, label: string];

export const fieldId = (name: string) => `f-${name.replace(/[^A-Za-z0-9_-]/g, "-")}`;
export const errorId = (name: string) => `${fieldId(name)}-error`;

/** A field's error, the id its input's aria-describedby names. */
export function ErrorText(props: { name: string; errors?: FieldErrors | undefined }) {
  const message = props.errors?.[props.name];
  return message === undefined ? null : (
    <div class="error" id={errorId(props.name)}>
      {message}
    </div>
  );
}

const a11y = (name: string, errors?: FieldErrors) => (errors?.[name] === undefined ? {} : { "aria-invalid": "true", "aria-describedby": errorId(name) });

interface Common {
  name: string;
  label: string;
  errors?: FieldErrors | undefined;
  hint?: Child;
}

export function TextField(
  props: Common & {
    value?: string | undefined;
    type?: string;
    wide?: boolean;
    required?: boolean;
    placeholder?: string;
    list?: string;
    autocomplete?: string;
  },
) {
  return (
    <div class="field">
      <label for={fieldId(props.name)}>{props.label}</label>
      <input
        id={fieldId(props.name)}
        name={props.name}
        type={props.type ?? "text"}
        value={props.value ?? ""}
        class={props.wide ? "wide" : undefined}
        required={props.required}
        placeholder={props.placeholder}
        list={props.list}
        autocomplete={props.autocomplete}
        step={props.type === "number" ? "any" : undefined}
        {...a11y(props.name, props.errors)}
      />
      {props.hint === undefined ? null : <div class="hint">{props.hint}</div>}
      <ErrorText name={props.name} errors={props.errors} />
    </div>
  );
}

/** `refresh`: choosing re-renders the form (the fields depend on the choice; see the editor's "Update form"). */
export function SelectField(props: Common & { value?: string | undefined; options: readonly Option[]; refresh?: boolean; autofocus?: boolean }) {
  return (
    <div class="field">
      <label for={fieldId(props.name)}>{props.label}</label>
      <select
        id={fieldId(props.name)}
        name={props.name}
        data-refresh={props.refresh ? "" : undefined}
        autofocus={props.autofocus}
        {...a11y(props.name, props.errors)}
      >
        {props.options.map(([v, l]) => (
          <option value={v} selected={v === (props.value ?? "")}>
            {l}
          </option>
        ))}
      </select>
      {props.hint === undefined ? null : <div class="hint">{props.hint}</div>}
      <ErrorText name={props.name} errors={props.errors} />
    </div>
  );
}

export function TextArea(props: Common & { value?: string | undefined; code?: boolean; rows?: number }) {
  return (
    <div class="field">
      <label for={fieldId(props.name)}>{props.label}</label>
      <textarea
        id={fieldId(props.name)}
        name={props.name}
        class={props.code ? "code" : undefined}
        rows={props.rows}
        spellcheck={props.code ? false : undefined}
        {...a11y(props.name, props.errors)}
      >
        {props.value ?? ""}
      </textarea>
      {props.hint === undefined ? null : <div class="hint">{props.hint}</div>}
      <ErrorText name={props.name} errors={props.errors} />
    </div>
  );
}

/** A form-level error (no single field to put it next to). */
export function FormError(props: { errors?: FieldErrors | undefined; name?: string }) {
  const message = props.errors?.[props.name ?? "_form"];
  return message === undefined ? null : (
    <div class="alert" role="alert">
      {message}
    </div>
  );
}
