import type { ItemDetail } from "../../../core/recommendations/item-label";
import { ItemList } from "../items";
import { ChartCard, HBarChart } from "../charts/svg";
import type { DetailArgs, KindUi } from "../definitions";
import { TextField } from "../fields";
import { errorDetails } from "../forms";
import { Alert, fmt, projectPath } from "../layout";
import { REC_OUTCOME_DAYS } from "../../../core/served-outcomes";
import { modelRoutes, ModelVersions, ServedNote, type ModelRow } from "../models";
import { trainingJobs, TrainingPanel } from "../training";
import { PerformancePanel, type PerformanceView } from "../performance";
import { RecommendationForm } from "../recommendation-editor";
import { editRecommendation, recommendationFromFields, recommendationToFields } from "../recommendation-form";

interface TopN {
  hit_rate: number;
  ndcg: number;
  coverage: number;
  users: number;
}

type RecModel = ModelRow<{
  holdout?: { model?: TopN; popular_recent?: TopN; popular_all_time?: TopN };
  params?: { rank: number; halfLifeDays: number | null; popularity: number };
}>;

interface RecResult {
  items: string[];
  is_control: boolean;
  recommendation_source: string;
  item_details?: ItemDetail[];
}

const BASELINES = [
  ["model", "Model"],
  ["popular_recent", "Popular, 30 days"],
  ["popular_all_time", "Popular, all time"],
] as const;

/**
 * Recommendations: the generic list and editor (a form for the whole definition, and the
 * JSON view), plus the trained versions with their quality against most-popular, and a
 * preview of what a chosen user gets right now.
 */
export const recommendationsUi: KindUi = {
  kind: "recommendations",
  title: "Recommendations",
  singular: "recommendation",
  blurb:
    "The items each user most likely takes up next: trained in Node (Train now on a recommendation's page, or npm run train), ranked at the edge from the user's live history.",
  template: { item: { event: { type: "Product Purchased" }, property: "product_id" }, count: 10, control: { percent: 10 } },
  columns: [
    {
      label: "Items",
      cell: (item) => {
        const i = item.definition.item as { event?: { type?: string }; property?: string } | undefined;
        return `${i?.event?.type ?? ""} · ${i?.property ?? ""}`;
      },
    },
    { label: "Count", num: true, cell: (item) => String(item.definition.count ?? 10) },
  ],
  form: {
    toFields: recommendationToFields,
    fromFields: recommendationFromFields,
    edit: editRecommendation,
    render: ({ fields, errors, focus }) => <RecommendationForm ctx={{ fields, errors, focus }} />,
  },
  extras: recommendationExtras,
  routes: modelRoutes("recommendations"),
};

function QualityTable(props: { holdout: NonNullable<RecModel["metrics"]["holdout"]> }) {
  return (
    <table id="rec-quality">
      <thead>
        <tr>
          <th>Holdout (last 30 days)</th>
          <th class="num">HR@10</th>
          <th class="num">NDCG@10</th>
          <th class="num">Coverage</th>
        </tr>
      </thead>
      <tbody>
        {BASELINES.map(([key, label]) => (
          <tr>
            <td>{label}</td>
            <td class="num">{fmt(props.holdout[key]?.hit_rate)}</td>
            <td class="num">{fmt(props.holdout[key]?.ndcg)}</td>
            <td class="num">{fmt(props.holdout[key]?.coverage)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Hit rate and NDCG on the lists users were served, by how each list was chosen. */
function ServedTable(props: { served: NonNullable<RecModel["served"]>["recommendation"] }) {
  const rows =
    props.served === null
      ? []
      : [...Object.entries(props.served.by_source), ...(Object.keys(props.served.by_source).length > 1 ? [["all", props.served.all] as const] : [])];
  if (rows.length === 0) return null;
  return (
    <table id="rec-served">
      <thead>
        <tr>
          <th>Served to users (next {REC_OUTCOME_DAYS} days)</th>
          <th class="num">Lists</th>
          <th class="num">Users who took an item</th>
          <th class="num">HR@10</th>
          <th class="num">NDCG@10</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(([source, q]) => (
          <tr>
            <td>{source}</td>
            <td class="num">{fmt(q.lists)}</td>
            <td class="num">{fmt(q.users)}</td>
            <td class="num">{fmt(q.hit_rate)}</td>
            <td class="num">{fmt(q.ndcg)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

async function recommendationExtras({ c, api, project, apiBase, item, ctx }: DetailArgs) {
  const [r, jobs, performance] = await Promise.all([
    api.get<{ models: RecModel[] }>(`/models?owner_id=${encodeURIComponent(item.id)}`),
    trainingJobs(api, item.id),
    api.get<PerformanceView>(`/recommendations/${encodeURIComponent(item.id)}/performance`),
  ]);
  const models = r.ok ? r.json.models : [];
  const active = models.find((m) => m.active);
  const base = `${projectPath(project, "/recommendations")}/${item.id}`;
  const userId = c.req.query("user_id");
  const preview = userId ? await api.get<RecResult>(`/recommendations/${encodeURIComponent(item.id)}/preview?user_id=${encodeURIComponent(userId)}`) : null;
  const error = c.req.query("error");
  return (
    <div>
      {c.req.query("activated") === undefined ? null : <Alert kind="good">Version activated: profiles rank with it from their next read.</Alert>}
      {error === undefined ? null : <Alert>{error}</Alert>}
      <h2>Preview</h2>
      <form method="get" action={base} class="row">
        <TextField name="user_id" label="User id" value={userId} placeholder="12347" />
        <button type="submit">Show recommendations</button>
      </form>
      {preview === null ? null : preview.ok ? (
        <div class="panel" id="rec-preview">
          <p class="muted">
            {preview.json.recommendation_source}
            {preview.json.is_control ? " (control group)" : ""}
          </p>
          {preview.json.items.length === 0 ? <p>No items.</p> : <ItemList ids={preview.json.items} details={preview.json.item_details} />}
        </div>
      ) : (
        <Alert>{errorDetails(preview.json).message}</Alert>
      )}
      <h2>Performance</h2>
      {performance.ok ? <PerformancePanel view={performance.json} /> : <Alert>{errorDetails(performance.json).message}</Alert>}
      <TrainingPanel jobs={jobs} base={base} csrf={ctx.csrf} apiBase={apiBase} ownerId={item.id} notice={c.req.query("training")} />
      <h2>Models</h2>
      {models.length === 0 ? (
        <div class="panel">
          Not trained yet: press <strong>Train now</strong>, or run <code>npm run train -- {item.id}</code>. Until then users get the fallback.
        </div>
      ) : (
        <ModelVersions
          models={models}
          base={base}
          csrf={ctx.csrf}
          columns={[
            {
              label: "HR@10 (model / popular)",
              cell: (m) => `${fmt(m.metrics.holdout?.model?.hit_rate)} / ${fmt(m.metrics.holdout?.popular_recent?.hit_rate)}`,
            },
            { label: "HR@10 served", cell: (m) => fmt(m.served?.recommendation?.all.hit_rate) },
          ]}
        />
      )}
      {active?.metrics.holdout === undefined ? null : (
        <>
          <h2>Quality of v{active.version} against most-popular</h2>
          <QualityTable holdout={active.metrics.holdout} />
          <ServedTable served={active.served?.recommendation ?? null} />
          <ServedNote served={active.served} horizon={`${REC_OUTCOME_DAYS} days`} />
          <div class="charts">
            <ChartCard title="Hit rate @10" legend="Share of holdout users who bought an item new to them that was in their top 10.">
              <HBarChart
                rows={BASELINES.map(([key, label]) => ({ label, value: active.metrics.holdout![key]?.hit_rate ?? 0 }))}
                desc="Hit rate at 10, model vs baselines"
              />
            </ChartCard>
            <ChartCard title="Catalogue coverage" legend="Share of the catalogue that appears in anyone's top 10.">
              <HBarChart
                rows={BASELINES.map(([key, label]) => ({ label, value: active.metrics.holdout![key]?.coverage ?? 0 }))}
                desc="Coverage, model vs baselines"
              />
            </ChartCard>
          </div>
        </>
      )}
    </div>
  );
}
