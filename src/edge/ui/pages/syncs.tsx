import type { Holdout } from "../../../core/holdout";
import { PerformancePanel, type PerformanceView } from "../performance";
import { SCHEDULES } from "../../../core/syncs/schema";
import { errorDetails, definitionFromPaths, fieldsFromPaths } from "../forms";
import { SelectField, TextField, type Option } from "../fields";
import { Alert, fmt, PostForm, projectPath, when } from "../layout";
import { projectPage, type Item } from "../page";
import type { DetailArgs, KindUi, Refs } from "../definitions";

const options = (items: Item[] | undefined): Option[] => [["", "(choose)"], ...(items ?? []).map((x): Option => [x.id, `${x.name} (${x.id})`])];

const SYNC_FIELDS = [
  "d.destination_id",
  "d.what.kind",
  "d.what.cohort_id",
  "d.schedule",
  "d.batch_size:number",
  "d.holdout.percent:number",
  "d.holdout.goal.event.type",
] as const;

interface Run {
  id: string;
  status: string;
  sent: number;
  failed: number;
  last_error: string | null;
  started_at: number;
  finished_at: number | null;
}

/** A sync's health: failing when its last runs all failed. */
function HealthBadge(props: { failing: boolean | undefined }) {
  return props.failing ? <span class="badge bad">failing</span> : <span class="badge good">healthy</span>;
}

/** A definition a sync refers to, by its name (its id beside it, muted); the id alone when it is gone. */
function RefName(props: { id: string; items: Item[] | undefined }) {
  const found = props.items?.find((i) => i.id === props.id);
  return found === undefined ? (
    <code>{props.id}</code>
  ) : (
    <span>
      {found.name} <code class="muted">{props.id}</code>
    </span>
  );
}

export const syncsUi: KindUi = {
  kind: "syncs",
  title: "Syncs",
  singular: "sync",
  blurb: "A cohort's enter/exit changes to a destination, on a schedule or on demand.",
  template: { destination_id: "", what: { kind: "cohort", cohort_id: "" }, schedule: "hourly" },
  needs: ["cohorts", "destinations"],
  listNeeds: ["cohorts", "destinations"],
  columns: [
    {
      label: "Audience",
      cell: (item, refs) => {
        const what = item.definition.what as { kind?: string; cohort_id?: string } | undefined;
        return what?.cohort_id === undefined ? (what?.kind ?? "") : <RefName id={what.cohort_id} items={refs.cohorts} />;
      },
    },
    { label: "Destination", cell: (item, refs) => <RefName id={String(item.definition.destination_id ?? "")} items={refs.destinations} /> },
    { label: "Schedule", cell: (item) => String(item.definition.schedule ?? "hourly") },
    // The list API marks a sync whose last runs all failed.
    { label: "Health", cell: (item) => <HealthBadge failing={(item as Item & { failing?: boolean }).failing} /> },
    { label: "Last run", cell: (item) => when((item as Item & { last_run_at?: number | null }).last_run_at) },
    {
      label: "Next run",
      cell: (item) =>
        (item as Item & { next_run_at?: number | null }).next_run_at == null ? "not scheduled" : when((item as Item & { next_run_at?: number }).next_run_at),
    },
  ],
  form: {
    toFields: (definition) => fieldsFromPaths(definition, SYNC_FIELDS),
    blank: () => ({
      "d.destination_id": "",
      "d.what.kind": "cohort",
      "d.what.cohort_id": "",
      "d.schedule": "hourly",
      "d.batch_size:number": "",
      "d.holdout.percent:number": "",
      "d.holdout.goal.event.type": "",
    }),
    fromFields: (fields) => definitionFromPaths({ ...fields, "d.what.kind": "cohort" }),
    render: ({ fields, errors, refs }: { fields: Record<string, string>; errors: Record<string, string>; refs: Refs }) => (
      <div class="row">
        <SelectField name="d.what.cohort_id" label="Cohort" value={fields["d.what.cohort_id"]} errors={errors} options={options(refs.cohorts)} />
        <SelectField name="d.destination_id" label="Destination" value={fields["d.destination_id"]} errors={errors} options={options(refs.destinations)} />
        <SelectField
          name="d.schedule"
          label="Schedule"
          value={fields["d.schedule"] || "hourly"}
          errors={errors}
          options={SCHEDULES.map((s): Option => [s, s])}
        />
        <TextField name="d.batch_size:number" label="Batch size" type="number" value={fields["d.batch_size:number"]} errors={errors} placeholder="1000" />
        <TextField
          name="d.holdout.percent:number"
          label="Hold out (%)"
          type="number"
          value={fields["d.holdout.percent:number"]}
          errors={errors}
          placeholder="0"
          hint="members never sent, to measure the sync's lift"
        />
        <TextField
          name="d.holdout.goal.event.type"
          label="Lift goal event"
          value={fields["d.holdout.goal.event.type"]}
          errors={errors}
          placeholder="Order Completed"
        />
      </div>
    ),
  },
  extras: syncExtras,
  routes: (app) => {
    app.post("/:id/run", async (c) => {
      const { api, project } = await projectPage(c, "syncs");
      const id = encodeURIComponent(c.req.param("id"));
      const r = await api.send<Run>("POST", `/syncs/${id}/run`);
      const result = r.ok ? `ran=${r.json.status}&sent=${r.json.sent}` : `run_error=${encodeURIComponent(errorDetails(r.json).message)}`;
      return c.redirect(`${projectPath(project, "/syncs")}/${id}?${result}`, 303);
    });
  },
};

async function syncExtras({ c, api, project, item, ctx }: DetailArgs) {
  const [log, performance] = await Promise.all([
    api.get<{ failing: boolean; runs: Run[] }>(`/syncs/${item.id}/runs`),
    api.get<Omit<PerformanceView, "control_percent" | "attribution"> & { holdout: Holdout }>(`/syncs/${item.id}/performance`),
  ]);
  const holdout = performance.ok ? performance.json.holdout : undefined;
  const runs = log.ok ? log.json.runs : [];
  const ran = c.req.query("ran");
  const runError = c.req.query("run_error");
  return (
    <div>
      {ran === undefined ? null : (
        <Alert kind={ran === "succeeded" ? "good" : "warn"}>
          Run {ran}: {c.req.query("sent") ?? 0} users sent.
        </Alert>
      )}
      {runError === undefined ? null : <Alert>{runError}</Alert>}
      <div class="panel between">
        <div class="row">
          <strong>Status</strong>
          <HealthBadge failing={log.ok && log.json.failing} />
          <span class="muted">{runs[0] === undefined ? "never run" : `last run ${when(runs[0].started_at)}`}</span>
        </div>
        <PostForm action={`${projectPath(project, "/syncs")}/${item.id}/run`} csrf={ctx.csrf}>
          <button type="submit">Run now</button>
        </PostForm>
      </div>
      {performance.ok && holdout !== undefined && holdout.percent > 0 ? (
        <>
          <h2>Performance</h2>
          <PerformancePanel
            view={{
              ...performance.json,
              control_percent: holdout.percent,
              attribution: { days: holdout.attribution_days, on_recommended_item: false, value_property: holdout.value_property },
            }}
            subject="this sync's audience"
          />
        </>
      ) : null}
      <h2>Run log</h2>
      {runs.length === 0 ? (
        <p class="muted">No runs yet.</p>
      ) : (
        <table id="run-log">
          <thead>
            <tr>
              <th>Started</th>
              <th>Status</th>
              <th class="num">Sent</th>
              <th class="num">Failed</th>
              <th>Error</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr>
                <td class="muted nowrap">{when(r.started_at)}</td>
                <td>
                  <span class={r.status === "succeeded" ? "badge good" : r.status === "failed" ? "badge bad" : "badge"}>{r.status}</span>
                </td>
                <td class="num">{fmt(r.sent)}</td>
                <td class="num">{fmt(r.failed)}</td>
                <td class="muted">{r.last_error ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
