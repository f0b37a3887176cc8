import { FILTER_OPS, COMPARATORS } from "../../../core/segments/schema";
import { BarChart, ChartCard } from "../charts/svg";
import { CLAUSE_KINDS, clauseCount, clauseFields, cohortFromFields, cohortToFields, UNITS } from "../cohort-form";
import { idsFromCsv } from "../csv";
import { SelectField, TextArea, TextField, type FieldErrors, type Option } from "../fields";
import type { Fields } from "../forms";
import { Alert, fmt, PostForm, projectPath, when } from "../layout";
import { formFields, formFile, projectPage } from "../page";
import type { DetailArgs, KindUi, Refs } from "../definitions";

const FILTER_OPTIONS: Option[] = FILTER_OPS.map((op) => [op, op]);
const COMPARATOR_OPTIONS: Option[] = COMPARATORS.map((op) => [op, op]);
const WINDOW_OPTIONS: Option[] = [
  ["all", "all time"],
  ["rolling", "in the last …"],
  ["since_last", "since the last …"],
];
const EVENT_KINDS = "performed not_performed";

function Clause(props: { i: number; fields: Fields; errors: FieldErrors; refs: Refs }) {
  const f = clauseFields(props.fields, props.i);
  const n = (field: string) => `c${props.i}.${field}`;
  const common = { errors: props.errors };
  const ids = (items: Refs["cohorts"]): Option[] => [["", "(choose)"], ...(items ?? []).map((x): Option => [x.id, x.name])];
  return (
    <fieldset class="clause-row" data-clause>
      <legend>Condition {props.i + 1}</legend>
      <div class="clause">
        <SelectField name={n("kind")} label="Kind" value={f.kind} options={CLAUSE_KINDS} {...common} />
        <div data-show-for={EVENT_KINDS}>
          <TextField name={n("event")} label="Event type" value={f.event} placeholder="Product Added" {...common} />
        </div>
        <div data-show-for="performed">
          <SelectField name={n("op")} label="Count is" value={f.op ?? ">="} options={COMPARATOR_OPTIONS} {...common} />
        </div>
        <div data-show-for="performed">
          <TextField name={n("count")} label="Times" type="number" value={f.count ?? "1"} {...common} />
        </div>
        <div data-show-for={EVENT_KINDS}>
          <SelectField name={n("window")} label="When" value={f.window ?? "all"} options={WINDOW_OPTIONS} {...common} />
        </div>
        <div data-show-for={EVENT_KINDS} data-show-window="rolling">
          <TextField name={n("within")} label="Last (amount)" type="number" value={f.within} {...common} />
        </div>
        <div data-show-for={EVENT_KINDS} data-show-window="rolling">
          <SelectField name={n("unit")} label="Unit" value={f.unit ?? "days"} options={UNITS.map((u): Option => [u, u])} {...common} />
        </div>
        <div data-show-for={EVENT_KINDS} data-show-window="since_last">
          <TextField name={n("since_event")} label="Since last event" value={f.since_event} {...common} />
        </div>
        <div data-show-for={EVENT_KINDS}>
          <TextField name={n("filter_property")} label="Where property" value={f.filter_property} placeholder="(optional)" {...common} />
        </div>
        <div data-show-for={EVENT_KINDS}>
          <SelectField name={n("filter_op")} label="Property op" value={f.filter_op ?? "eq"} options={FILTER_OPTIONS} {...common} />
        </div>
        <div data-show-for={EVENT_KINDS}>
          <TextField name={n("filter_value")} label="Property value" value={f.filter_value} {...common} />
        </div>
        <div data-show-for="user_property">
          <TextField name={n("property")} label="User property" value={f.property} {...common} />
        </div>
        <div data-show-for="computation">
          <SelectField name={n("computation")} label="Computed property" value={f.computation} options={ids(props.refs.computations)} {...common} />
        </div>
        <div data-show-for="user_property computation">
          <SelectField name={n("prop_op")} label="Op" value={f.prop_op ?? "eq"} options={FILTER_OPTIONS} {...common} />
        </div>
        <div data-show-for="user_property computation">
          <TextField name={n("prop_value")} label="Value" value={f.prop_value} hint="numbers, true/false, a,b,c for in" {...common} />
        </div>
        <div data-show-for="in_cohort not_in_cohort">
          <SelectField name={n("cohort")} label="Cohort" value={f.cohort} options={ids(props.refs.cohorts)} {...common} />
        </div>
      </div>
    </fieldset>
  );
}

const blankRows = (fields: Fields, rows: number): Fields => {
  const out = { ...fields };
  for (let i = clauseCount(fields); i < rows; i++) out[`c${i}.kind`] = "";
  return out;
};

export const cohortsUi: KindUi = {
  kind: "cohorts",
  title: "Cohorts",
  singular: "cohort",
  blurb: "Audiences kept current on every event and as time passes. Sizes update live.",
  template: { type: "behavioral", match: { all: [{ performed: { event: { type: "Product Added" }, window: { kind: "rolling", duration: { hours: 24 } } } }] } },
  needs: ["cohorts", "computations"],
  live: true,
  preview: {
    label: "Preview size",
    show: (result) => {
      const r = result as { sampled: number; matched: number; estimate: number; profiles: number };
      return (
        <Alert kind="good">
          <span id="size-preview">
            About <strong>{fmt(r.estimate)}</strong> of {fmt(r.profiles)} profiles would be in this cohort ({fmt(r.matched)} of {fmt(r.sampled)} sampled, from their stored events). Not saved yet.
          </span>
        </Alert>
      );
    },
  },
  columns: [
    { label: "Type", cell: (item) => <span class="badge">{String(item.definition.type)}</span> },
    { label: "Size", num: true, cell: (item) => <span data-live-id={item.id} data-live-field="size">{fmt(item.size ?? 0)}</span> },
    {
      label: "7 days",
      num: true,
      cell: (item) => {
        const t = (item as { trend_7d?: { entered: number; exited: number } }).trend_7d;
        return t === undefined ? "–" : <span title="entered / exited in the last 7 days">+{fmt(t.entered)} / −{fmt(t.exited)}</span>;
      },
    },
  ],
  form: {
    toFields: (definition) => {
      const fields = cohortToFields(definition);
      return fields === null ? null : blankRows(fields, Math.max(1, clauseCount(fields)));
    },
    blank: () => blankRows({ type: "behavioral", match: "all" }, 2),
    fromFields: cohortFromFields,
    addRow: (fields) => blankRows(fields, clauseCount(fields) + 1),
    render: ({ fields, errors, refs }) => (
      <div>
        <div class="row">
          <SelectField name="type" label="Cohort type" value={fields.type ?? "behavioral"} options={[["behavioral", "behavioral (rules)"], ["static", "static (uploaded ids)"]]} errors={errors} />
          <SelectField name="match" label="Users who match" value={fields.match ?? "all"} options={[["all", "all conditions"], ["any", "any condition"]]} errors={errors} />
        </div>
        {Array.from({ length: clauseCount(fields) }, (_, i) => (
          <Clause i={i} fields={fields} errors={errors} refs={refs} />
        ))}
      </div>
    ),
  },
  extras: cohortExtras,
  routes: (app) => {
    /** Static cohorts: members from an uploaded CSV or a pasted list, through the API. */
    app.post("/:id/members", async (c) => {
      const { api, project, q } = await projectPage(c, "cohorts");
      const f = await formFields(c);
      const idType = f.id_type === "device_id" ? "device_id" : "user_id";
      const text = (await formFile(c, "file")) ?? f.ids ?? "";
      const ids = idsFromCsv(text, idType);
      const base = `${projectPath(project, "/cohorts")}/${encodeURIComponent(c.req.param("id"))}`;
      if (ids.length === 0) return c.redirect(`${base}?upload_error=${encodeURIComponent("No ids found in the upload")}`, 303);
      const r = await api.send<{ applied: number; skipped_ids: string[]; error?: { message: string } }>("POST", `/cohorts/${encodeURIComponent(c.req.param("id"))}/members?${q}`, {
        ids,
        id_type: idType,
        operation: f.operation === "remove" ? "remove" : "add",
      });
      if (!r.ok) return c.redirect(`${base}?upload_error=${encodeURIComponent(r.json.error?.message ?? "Upload failed")}`, 303);
      return c.redirect(`${base}?applied=${r.json.applied}&skipped=${r.json.skipped_ids.length}`, 303);
    });
  },
};

interface Backfill {
  status: string;
  processed: number;
  total: number | null;
  started_at: number;
}

async function cohortExtras({ c, api, project, q, item, ctx }: DetailArgs) {
  const [trend, backfills] = await Promise.all([
    api.get<{ days: { day: number; entered: number; exited: number }[] }>(`/cohorts/${item.id}/trend?${q}&days=14`),
    api.get<{ backfills: Backfill[] }>(`/backfills?${q}`),
  ]);
  const days = trend.ok ? trend.json.days : [];
  const entered = days.reduce((s, d) => s + d.entered, 0);
  const exited = days.reduce((s, d) => s + d.exited, 0);
  const latest = backfills.ok ? backfills.json.backfills[0] : undefined;
  const isStatic = item.definition.type === "static";
  const applied = c.req.query("applied");
  const uploadError = c.req.query("upload_error");
  return (
    <div>
      {applied === undefined ? null : (
        <Alert kind="good">
          Added {applied} ids ({c.req.query("skipped") ?? 0} never seen, skipped).
        </Alert>
      )}
      <div class="charts">
        <div class="panel">
          <div class="stats">
            <div>
              <span>Members now</span>
              <output class="big" data-live-url={`/admin/api/cohorts/${item.id}?${q}`} data-live-field="size" aria-live="polite" id="cohort-size">
                {fmt(item.size ?? 0)}
              </output>
            </div>
            <div>
              <span>14 days</span>+{fmt(entered)} / −{fmt(exited)}
            </div>
          </div>
          {latest === undefined ? null : (
            <p class="muted">
              Last backfill: {latest.status}, {fmt(latest.processed)}
              {latest.total === null ? "" : ` of ${fmt(latest.total)}`} profiles, started {when(latest.started_at)}
            </p>
          )}
        </div>
        <ChartCard title="Net change per day" legend="Entered minus exited, last 14 days (UTC), from the membership change log.">
          <BarChart values={days.map((d) => d.entered - d.exited)} labels={days.map((d) => new Date(d.day).toISOString().slice(5, 10))} desc="Daily net membership change" />
        </ChartCard>
      </div>
      {!isStatic ? null : (
        <>
          <h2>Upload members</h2>
          {uploadError === undefined ? null : <Alert>{uploadError}</Alert>}
          <PostForm action={`${projectPath(project, "/cohorts")}/${item.id}/members`} csrf={ctx.csrf} class="panel" enctype="multipart/form-data">
            <div class="field">
              <label for="f-file">CSV file</label>
              <input id="f-file" name="file" type="file" accept=".csv,text/csv,text/plain" />
              <div class="hint">One id per line, or a CSV with a user_id (or device_id) column.</div>
            </div>
            <TextArea name="ids" label="…or paste ids" rows={4} />
            <div class="row">
              <SelectField name="id_type" label="Ids are" options={[["user_id", "user ids"], ["device_id", "device ids"]]} />
              <SelectField name="operation" label="Operation" options={[["add", "add"], ["remove", "remove"]]} />
            </div>
            <button type="submit">Upload</button>
          </PostForm>
        </>
      )}
    </div>
  );
}
