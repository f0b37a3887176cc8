import type { Distribution } from "../../../core/histogram";
import { ChartCard, BarChart, HBarChart, XYChart } from "../charts/svg";
import { SelectField, TextField } from "../fields";
import { definitionFromPaths, errorDetails, fieldsFromPaths } from "../forms";
import { Alert, fmt, PostForm, projectPath } from "../layout";
import { formFields, projectPage, type Item } from "../page";
import { qualitySentences, readableFeature } from "../prediction-words";
import { modelRoutes, ModelVersions, ServedNote, type ModelRow } from "../models";
import { trainingJobs, TrainingPanel } from "../training";
import type { DetailArgs, KindUi } from "../definitions";

const FIELDS = ["d.goal.event.type", "d.horizon_days:number", "d.value_property"] as const;

interface Quality {
  auc?: number;
  log_loss?: number;
  positive_rate?: number;
  precision_at_10pct?: number;
  recall_at_10pct?: number;
  calibration?: { decile: number; predicted: number; actual: number; count: number }[];
  roc?: [number, number][];
  score_histogram?: { from: number; to: number; count: number; positives: number }[];
}

interface Metrics {
  holdout?: { model?: Quality; baseline?: Quality };
  importance?: { feature: string; weight: number }[];
  rows?: { train: number; holdout: number; train_positive_rate: number };
  auc?: number;
}

type Model = ModelRow<Metrics>;

export const predictionsUi: KindUi = {
  kind: "predictions",
  title: "Predictions",
  singular: "prediction",
  blurb:
    "The likelihood that a user performs a goal event within a horizon: trained in Node (Train now on a prediction's page, or npm run train), scored at the edge.",
  template: { goal: { event: { type: "Order Completed" } }, horizon_days: 30 },
  columns: [
    { label: "Goal", cell: (item) => String((item.definition.goal as { event?: { type?: string } } | undefined)?.event?.type ?? "") },
    { label: "Horizon", cell: (item) => `${String(item.definition.horizon_days)} days` },
  ],
  form: {
    toFields: (definition) => {
      const d = definition as { goal?: { event?: { filters?: unknown[] } }; population?: unknown; computations?: unknown[] };
      if ((d.goal?.event?.filters ?? []).length > 0 || d.population !== undefined || (d.computations ?? []).length > 0) return null;
      return fieldsFromPaths(definition, FIELDS);
    },
    fromFields: definitionFromPaths,
    render: ({ fields, errors }) => (
      <div class="row">
        <TextField name="d.goal.event.type" label="Goal event" value={fields["d.goal.event.type"]} errors={errors} placeholder="Order Completed" />
        <SelectField
          name="d.horizon_days:number"
          label="Within"
          value={fields["d.horizon_days:number"] || "30"}
          errors={errors}
          options={["7", "14", "30", "60", "90"].map((d) => [d, `${d} days`] as const)}
        />
        <TextField name="d.value_property" label="Value property" value={fields["d.value_property"]} errors={errors} placeholder="revenue" />
      </div>
    ),
  },
  extras: predictionExtras,
  routes: (app) => {
    modelRoutes("predictions")(app);
    /** A predictive cohort from the prediction's page: its top or bottom N % of users by score, then that cohort's page. */
    app.post("/:id/cohort", async (c) => {
      const { api, project } = await projectPage(c, "predictions");
      const f = await formFields(c);
      const id = c.req.param("id");
      const side = f.side === "bottom" ? "bottom" : "top";
      const share = Number(f.percent);
      const r = await api.send<Item>("POST", "/cohorts", {
        name: f.name?.trim() || `${side === "top" ? "Top" : "Bottom"} ${f.percent} % by ${id}`,
        definition: { type: "behavioral", match: { prediction: { id, [`${side}_percent`]: share } } },
      });
      const back = `${projectPath(project, "/predictions")}/${encodeURIComponent(id)}`;
      return c.redirect(
        r.ok ? `${projectPath(project, "/cohorts")}/${r.json.id}?saved=1` : `${back}?error=${encodeURIComponent(errorDetails(r.json).message)}`,
        303,
      );
    });
  },
};

/** Create a cohort of the prediction's top or bottom N % (a predictive cohort, kept current as scores move). */
function CohortFromScores(props: { action: string; csrf: string; name: string }) {
  return (
    <PostForm action={props.action} csrf={props.csrf} class="panel row">
      <SelectField
        name="side"
        label="Users"
        value="top"
        options={[
          ["top", "most likely (top)"],
          ["bottom", "least likely (bottom)"],
        ]}
      />
      <TextField name="percent" label="Share (%)" type="number" value="10" required />
      <TextField name="name" label="Cohort name" value={props.name} />
      <button type="submit">Create cohort</button>
    </PostForm>
  );
}

const DIAGONAL: [number, number][] = [
  [0, 0],
  [1, 1],
];

/** ROC, calibration, score distribution and feature importance of one model version. */
export function QualityCharts(props: { metrics: Metrics }) {
  const m = props.metrics.holdout?.model;
  const b = props.metrics.holdout?.baseline;
  const importance = (props.metrics.importance ?? []).slice(0, 12);
  if (m === undefined) return <Alert kind="warn">This model's metrics have no holdout details, so there is nothing to chart.</Alert>;
  return (
    <div class="charts" id="quality-charts">
      <ChartCard title={`ROC curve (AUC ${fmt(m.auc)})`} legend={`Solid: model. Dashed: recency/frequency baseline (AUC ${fmt(b?.auc)}) and chance.`}>
        {(m.roc ?? []).length === 0 ? (
          <p class="muted">No ROC points stored (trained before they were recorded).</p>
        ) : (
          <XYChart
            x={[0, 1]}
            y={[0, 1]}
            xLabel="false positive rate"
            yLabel="true positive rate"
            desc="ROC curve"
            series={[{ points: DIAGONAL, className: "reference" }, ...(b?.roc?.length ? [{ points: b.roc, className: "reference" }] : []), { points: m.roc! }]}
          />
        )}
      </ChartCard>
      <ChartCard title="Calibration" legend="Mean predicted vs actual rate per decile of score; the dashed line is perfect calibration.">
        {(m.calibration ?? []).length === 0 ? (
          <p class="muted">No calibration table stored.</p>
        ) : (
          <XYChart
            x={[0, 1]}
            y={[0, 1]}
            xLabel="predicted"
            yLabel="actual"
            desc="Calibration: predicted vs actual"
            series={[
              { points: DIAGONAL, className: "reference" },
              { points: m.calibration!.map((c) => [c.predicted, c.actual]), dots: true },
            ]}
          />
        )}
      </ChartCard>
      <ChartCard title="Score distribution" legend="Holdout users per score bin.">
        {(m.score_histogram ?? []).length === 0 ? (
          <p class="muted">No score histogram stored.</p>
        ) : (
          <BarChart
            values={m.score_histogram!.map((s) => s.count)}
            labels={m.score_histogram!.map((s) => s.from.toFixed(1))}
            desc="Score histogram"
            yLabel="users"
          />
        )}
      </ChartCard>
      <ChartCard title="Feature importance" legend="Weights on standardised features (red: lowers the score).">
        {importance.length === 0 ? (
          <p class="muted">No feature weights stored.</p>
        ) : (
          <HBarChart rows={importance.map((i) => ({ label: readableFeature(i.feature), value: i.weight }))} desc="Feature importance" />
        )}
      </ChartCard>
    </div>
  );
}

/** The trainer's holdout (model and baseline) beside the same measures on what users were served and did. */
function MetricsTable(props: { model: Model }) {
  const { metrics } = props.model;
  const m = metrics.holdout?.model;
  const b = metrics.holdout?.baseline;
  const s = props.model.served?.prediction ?? undefined;
  const rows: [string, (q: Quality | undefined) => unknown, unknown][] = [
    ["AUC", (q) => q?.auc, s?.auc],
    ["log loss", (q) => q?.log_loss, s?.log_loss],
    ["precision @10 %", (q) => q?.precision_at_10pct, s?.precision_at_10pct],
    ["recall @10 %", (q) => q?.recall_at_10pct, undefined],
    ["users who reached the goal", (q) => q?.positive_rate, s?.positive_rate],
  ];
  return (
    <table id="quality-table">
      <thead>
        <tr>
          <th></th>
          <th class="num">Holdout: model</th>
          <th class="num">Holdout: baseline</th>
          <th class="num">Served to {s === undefined ? "users" : `${fmt(s.users)} users`}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(([label, get, served]) => (
          <tr>
            <td>{label}</td>
            <td class="num">{fmt(get(m) ?? (label === "AUC" ? metrics.auc : undefined))}</td>
            <td class="num">{fmt(get(b))}</td>
            <td class="num">{fmt(served)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Where current users' scores lie now (the most recently seen), in ten bins from 0 to 1. */
function CurrentScores(props: { sampled: number; distribution: Distribution }) {
  const d = props.distribution;
  return (
    <ChartCard
      title="Scores of current users"
      legend={`The ${fmt(props.sampled)} most recently seen users' scores now${d.missing > 0 ? ` (${fmt(d.missing)} not scored yet)` : ""}.`}
    >
      {d.kind === "numeric" ? (
        <div id="current-scores">
          <BarChart values={d.bins.map((b) => b.count)} labels={d.bins.map((b) => b.from.toFixed(1))} desc="Current users by score" yLabel="users" />
        </div>
      ) : (
        <p class="muted">No user has a score yet: they are scored when a version is published, after their events and daily.</p>
      )}
    </ChartCard>
  );
}

async function predictionExtras({ c, api, project, apiBase, item, ctx }: DetailArgs) {
  const [r, jobs, current] = await Promise.all([
    api.get<{ models: Model[] }>(`/models?owner_id=${encodeURIComponent(item.id)}`),
    trainingJobs(api, item.id),
    api.get<{ sampled: number; distribution: Distribution }>(`/predictions/${encodeURIComponent(item.id)}/scores?sample=200`),
  ]);
  const models = r.ok ? r.json.models : [];
  const chosen = models.find((m) => m.id === c.req.query("model")) ?? models.find((m) => m.active) ?? models[0];
  const base = `${projectPath(project, "/predictions")}/${item.id}`;
  const error = c.req.query("error");
  return (
    <div>
      {c.req.query("activated") === undefined ? null : <Alert kind="good">Version activated: profiles re-score now.</Alert>}
      {error === undefined ? null : <Alert>{error}</Alert>}
      <TrainingPanel jobs={jobs} base={base} csrf={ctx.csrf} apiBase={apiBase} ownerId={item.id} notice={c.req.query("training")} />
      {models.some((m) => m.active) ? (
        <>
          <h2>Act on the scores</h2>
          <CohortFromScores action={`${base}/cohort`} csrf={ctx.csrf} name={`${item.name}: top 10 %`} />
          {/* In the charts grid, so it is drawn at a chart's size, not stretched across the page. */}
          {current.ok ? (
            <div class="charts">
              <CurrentScores sampled={current.json.sampled} distribution={current.json.distribution} />
            </div>
          ) : null}
        </>
      ) : null}
      <h2>Models</h2>
      {models.length === 0 ? (
        <div class="panel">
          Not trained yet. Press <strong>Train now</strong>, or run <code>npm run train -- {item.id}</code> (either reads the event archive through this
          Worker).
        </div>
      ) : (
        <ModelVersions
          models={models}
          base={base}
          csrf={ctx.csrf}
          version={(m) => (
            <>
              <a href={`${base}?model=${m.id}`}>v{m.version}</a> {m.id === chosen?.id ? <span class="badge">shown</span> : null}
            </>
          )}
          columns={[
            { label: "AUC (holdout / served)", cell: (m) => `${fmt(m.metrics.holdout?.model?.auc ?? m.metrics.auc)} / ${fmt(m.served?.prediction?.auc)}` },
            {
              label: "Rows (train / holdout)",
              cell: (m) => (m.metrics.rows === undefined ? "–" : `${fmt(m.metrics.rows.train)} / ${fmt(m.metrics.rows.holdout)}`),
            },
          ]}
        />
      )}
      {chosen === undefined ? null : (
        <>
          <h2>Quality of v{chosen.version}</h2>
          <div class="panel" id="quality-words">
            {qualitySentences(chosen.metrics.holdout?.model, chosen.metrics.holdout?.baseline, chosen.served?.prediction ?? undefined).map((line) => (
              <p>{line}</p>
            ))}
          </div>
          <MetricsTable model={chosen} />
          <ServedNote served={chosen.served} horizon={`${String(item.definition.horizon_days)} days`} />
          <QualityCharts metrics={chosen.metrics} />
        </>
      )}
    </div>
  );
}
