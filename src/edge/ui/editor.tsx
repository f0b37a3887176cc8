import type { KindUi, Refs } from "./definitions";
import { FormError, SelectField, TextArea, TextField, type FieldErrors } from "./fields";
import type { Fields } from "./forms";
import { Alert, PostForm } from "./layout";
import type { Item } from "./page";

// A definition's editor: its envelope (name, description, status), the kind's structured
// form when it has one, and always the JSON definition, posted back to the kind's pages.

export interface EditorState {
  item?: Item;
  name: string;
  description: string;
  status: string;
  /** Structured fields, or null when the definition needs the JSON editor. */
  fields: Fields | null;
  json: string;
  errors: FieldErrors;
  mode: "form" | "json";
  focus?: string;
}

export function stateFor(ui: KindUi, item?: Item): EditorState {
  const definition = item?.definition ?? ui.template;
  return {
    item,
    name: item?.name ?? "",
    description: item?.description ?? "",
    status: item?.status ?? "active",
    fields: ui.form === undefined ? null : item === undefined && ui.form.blank ? ui.form.blank() : ui.form.toFields(definition),
    json: JSON.stringify(definition, null, 2),
    errors: {},
    mode: "form",
  };
}

/** Names a definition uses that the project never saw (a typo, most often), each with the field it is in. */
export function NameWarnings(props: { warnings?: { path: string; message: string }[] | undefined }) {
  if (props.warnings === undefined || props.warnings.length === 0) return null;
  return (
    <Alert kind="warn">
      <ul class="name-warnings">
        {props.warnings.map((w) => (
          <li data-path={w.path}>
            {w.message} <span class="muted">({w.path.replace(/^definition\./, "")})</span>
          </li>
        ))}
      </ul>
    </Alert>
  );
}

export function Editor(props: { ui: KindUi; state: EditorState; action: string; csrf: string; refs: Refs }) {
  const { ui, state } = props;
  const { errors } = state;
  return (
    <PostForm
      action={props.action}
      csrf={props.csrf}
      class="panel"
      data-live-preview={ui.preview === undefined || state.fields === null ? undefined : "preview_form"}
    >
      {ui.form?.edit === undefined ? null : (
        // Enter in a text box presses the form's first submit button: saving, not an edit button.
        <div hidden>
          <button type="submit" name="mode" value="form" tabindex={-1} />
        </div>
      )}
      <FormError errors={errors} name="_envelope" />
      <TextField name="name" label="Name" value={state.name} errors={errors} wide required />
      <TextField name="description" label="Description" value={state.description} errors={errors} wide />
      {state.item === undefined ? null : (
        <SelectField
          name="status"
          label="Status"
          value={state.status}
          errors={errors}
          options={[
            ["active", "active"],
            ["inactive", "inactive"],
          ]}
        />
      )}
      {ui.form === undefined ? null : state.fields === null ? (
        <Alert kind="warn">This definition uses parts of the language the form does not show: edit it as JSON below.</Alert>
      ) : (
        <fieldset>
          <legend>Definition</legend>
          <FormError errors={errors} />
          {ui.form.render({ fields: state.fields, errors, refs: props.refs, focus: state.focus })}
          {ui.preview === undefined ? null : <div data-preview-slot aria-live="polite" />}
          <div class="row">
            <button type="submit" name="mode" value="form">
              Save
            </button>
            {ui.preview === undefined ? null : (
              <button type="submit" name="mode" value="preview_form" class="secondary">
                {ui.preview.label}
              </button>
            )}
            {ui.form.edit === undefined ? null : (
              <button type="submit" name="mode" value="edit:refresh" class="secondary" formnovalidate data-refresh-button>
                Update form
              </button>
            )}
          </div>
        </fieldset>
      )}
      <details open={ui.form === undefined || state.fields === null || state.mode === "json" ? true : undefined}>
        <summary>JSON definition (the full language)</summary>
        <TextArea name="definition_json" label="Definition (JSON)" value={state.json} errors={errors} code />
        <div class="row">
          <button type="submit" name="mode" value="json">
            Save JSON
          </button>
          {ui.form === undefined ? null : (
            <button type="submit" name="mode" value="json_to_form" class="secondary" formnovalidate>
              Edit in the form
            </button>
          )}
          {ui.preview === undefined ? null : (
            <button type="submit" name="mode" value="preview_json" class="secondary">
              {ui.preview.label}
            </button>
          )}
        </div>
      </details>
    </PostForm>
  );
}
