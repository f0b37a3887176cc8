import { applyEdit } from "../cohort-edit";
import type { DetailArgs, KindUi } from "../definitions";
import { DESTINATION_TYPES, destinationFromFields, destinationToFields, STORED, type DestinationType } from "../destination-form";
import { SelectField, TextField, type Option } from "../fields";
import { errorDetails } from "../forms";
import { PostForm, projectPath } from "../layout";
import { projectPage } from "../page";

export const destinationsUi: KindUi = {
  kind: "destinations",
  title: "Destinations",
  singular: "destination",
  blurb:
    "Where audiences go: a signed webhook (Standard Webhooks), Braze attributes, HubSpot, Klaviyo and Facebook lists, or files in R2. Credentials are write-only: once saved they are never shown again.",
  // No real-looking default: the box shows its placeholder and saving without a URL names the field.
  template: { type: "webhook", url: "" },
  columns: [
    {
      label: "Type",
      cell: (item) => <span class="badge">{DESTINATION_TYPES[item.definition.type as DestinationType]?.label ?? String(item.definition.type)}</span>,
    },
    { label: "Target", cell: (item) => <code>{destinationTarget(item.definition)}</code> },
  ],
  form: {
    toFields: destinationToFields,
    fromFields: destinationFromFields,
    // Choosing another type re-renders the form with that type's boxes.
    edit: (fields, action) => applyEdit(fields, action, () => false),
    render: ({ fields, errors, focus }) => <DestinationFields fields={fields} errors={errors} focus={focus} />,
  },
  extras: destinationExtras,
  routes: (app) => {
    app.post("/:id/test", async (c) => {
      const { api, project } = await projectPage(c, "destinations");
      const id = encodeURIComponent(c.req.param("id"));
      const r = await api.send<DestinationTest>("POST", `/destinations/${id}/test`);
      const result = r.ok
        ? `tested=${r.json.ok ? "ok" : "failed"}&test_detail=${encodeURIComponent(r.json.detail)}`
        : `tested=failed&test_detail=${encodeURIComponent(errorDetails(r.json).message)}`;
      return c.redirect(`${projectPath(project, "/destinations")}/${id}?${result}#test`, 303);
    });
  },
};

/** Where a destination sends, in one line for the list. */
function destinationTarget(d: Record<string, unknown>): string {
  const at = d.url ?? d.base_url ?? "";
  const list = d.list_id ?? d.audience_id;
  return d.type === "r2_export" ? `${String(d.format ?? "ndjson")} files` : list === undefined ? String(at) : `list ${String(list)}`;
}

function DestinationFields(props: { fields: Record<string, string>; errors: Record<string, string>; focus: string | undefined }) {
  const type = (props.fields["d.type"] || "webhook") as DestinationType;
  const spec = DESTINATION_TYPES[type] ?? DESTINATION_TYPES.webhook;
  return (
    <div class="row">
      <SelectField
        name="d.type"
        label="Type"
        value={type}
        errors={props.errors}
        options={Object.entries(DESTINATION_TYPES).map(([value, t]): Option => [value, t.label])}
        refresh
        autofocus={props.focus === "d.type"}
      />
      {spec.fields.map((f) => (
        <TextField
          name={f.name}
          label={f.label}
          type={f.secret ? "password" : (f.type ?? "text")}
          value={f.secret ? "" : props.fields[f.name]}
          errors={props.errors}
          placeholder={f.secret ? (props.fields[STORED] === type ? "set: leave empty to keep" : undefined) : f.placeholder}
          hint={f.hint}
          autocomplete={f.secret ? "new-password" : undefined}
        />
      ))}
      {props.fields[STORED] ? <input type="hidden" name={STORED} value={props.fields[STORED]} /> : null}
      {type === "r2_export" ? (
        <SelectField
          name="d.format"
          label="File format"
          value={props.fields["d.format"] || "ndjson"}
          errors={props.errors}
          options={[
            ["ndjson", "ndjson"],
            ["csv", "csv"],
          ]}
        />
      ) : null}
    </div>
  );
}

interface DestinationTest {
  ok: boolean;
  status: number | null;
  detail: string;
}

/** "Send a test": one harmless request with the stored credentials, its answer shown in words. */
async function destinationExtras({ c, project, item, ctx }: DetailArgs) {
  const tested = c.req.query("tested");
  return (
    <div class="panel between" id="test">
      <div>
        <strong>Test</strong>{" "}
        {tested === undefined ? (
          <span class="muted">Sends one test request with the stored settings; no user is changed.</span>
        ) : (
          <span class={tested === "ok" ? "badge good" : "badge bad"} id="test-result">
            {tested === "ok" ? "works" : "failed"}
          </span>
        )}{" "}
        {tested === undefined ? null : <span id="test-detail">{c.req.query("test_detail") ?? ""}</span>}
      </div>
      <PostForm action={`${projectPath(project, "/destinations")}/${item.id}/test`} csrf={ctx.csrf}>
        <button type="submit" class="secondary">
          Send a test
        </button>
      </PostForm>
    </div>
  );
}
