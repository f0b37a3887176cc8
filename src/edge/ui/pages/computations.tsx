import { AGGREGATES } from "../../../core/segments/schema";
import type { Distribution } from "../../../core/histogram";
import { BarChart, ChartCard, HBarChart } from "../charts/svg";
import { SelectField, TextField, type Option } from "../fields";
import { definitionFromPaths, fieldsFromPaths } from "../forms";
import { fmt } from "../layout";
import type { DetailArgs, KindUi } from "../definitions";

const FIELDS = ["d.event.type", "d.aggregate", "d.property", "d.window.kind", "d.window.duration.days:number"] as const;

/** Only these shapes fit the form: no event filters, and a window of all time or the last N days. */
function fitsForm(definition: unknown): boolean {
  const d = definition as { event?: { filters?: unknown[] }; window?: { kind?: string; duration?: Record<string, unknown> }; cap?: unknown };
  if ((d.event?.filters ?? []).length > 0 || d.cap !== undefined) return false;
  const w = d.window ?? { kind: "all" };
  if (w.kind === "all") return true;
  return w.kind === "rolling" && Object.keys(w.duration ?? {}).every((k) => k === "days");
}

export const computationsUi: KindUi = {
  kind: "computations",
  title: "Computed properties",
  singular: "computed property",
  blurb: "Per-user values computed from events (counts, sums, recency, …), kept current incrementally.",
  template: { event: { type: "Order Completed" }, aggregate: "sum", property: "revenue", window: { kind: "all" } },
  columns: [
    { label: "Aggregate", cell: (item) => <code>{`${String(item.definition.aggregate)}(${String(item.definition.property ?? "")})`}</code> },
    { label: "Event", cell: (item) => String((item.definition.event as { type?: string } | undefined)?.type ?? "") },
  ],
  form: {
    toFields: (definition) =>
      fitsForm(definition)
        ? { ...fieldsFromPaths(definition, FIELDS), "d.window.kind": String((definition as { window?: { kind?: string } }).window?.kind ?? "all") }
        : null,
    fromFields: (fields) => {
      const built = definitionFromPaths(fields);
      const window = built.definition.window as { kind?: string; duration?: unknown } | undefined;
      if (window?.kind !== "rolling") delete window?.duration;
      return built;
    },
    render: ({ fields, errors }) => (
      <div class="clause">
        <TextField name="d.event.type" label="Event type" value={fields["d.event.type"]} errors={errors} hint="* for any event" />
        <SelectField name="d.aggregate" label="Aggregate" value={fields["d.aggregate"]} errors={errors} options={AGGREGATES.map((a): Option => [a, a])} />
        <TextField name="d.property" label="Event property" value={fields["d.property"]} errors={errors} hint="for sum, avg, min, max, …" />
        <SelectField
          name="d.window.kind"
          label="Window"
          value={fields["d.window.kind"]}
          errors={errors}
          options={[
            ["all", "all time"],
            ["rolling", "last N days"],
          ]}
        />
        <TextField name="d.window.duration.days:number" label="Days" type="number" value={fields["d.window.duration.days:number"]} errors={errors} />
      </div>
    ),
  },
  extras: computationExtras,
};

async function computationExtras({ api, item }: DetailArgs) {
  const r = await api.get<{ sampled: number; distribution: Distribution }>(`/computations/${item.id}/distribution?sample=200`);
  if (!r.ok) return null;
  const { sampled, distribution: d } = r.json;
  const scale =
    d.kind === "numeric" && d.scale === "log"
      ? " Most values are small, so each bar spans a wider range than the one before (a log scale); zeros have a bar of their own."
      : "";
  const caption = `Values of the ${fmt(sampled)} most recently seen profiles (a sample; values live in each profile).${scale}`;
  return (
    <div class="charts">
      <div class="panel stats" id="distribution-stats">
        <div>
          <span>Profiles sampled</span>
          <span class="big">{fmt(sampled)}</span>
        </div>
        <div>
          <span>With a value</span>
          {fmt(d.count)}
        </div>
        {d.kind !== "numeric" ? null : (
          <>
            <div>
              <span>Mean</span>
              {fmt(d.mean, 2)}
            </div>
            <div>
              <span>Min – max</span>
              {fmt(d.min, 2)} – {fmt(d.max, 2)}
            </div>
          </>
        )}
      </div>
      <ChartCard title="Value distribution" legend={caption}>
        {d.kind === "numeric" ? (
          <BarChart
            values={d.bins.map((b) => b.count)}
            labels={d.bins.map((b) => (d.scale === "log" && b.from === b.to ? fmt(b.from) : fmt(b.from, b.from < 10 ? 1 : 0)))}
            desc={d.scale === "log" ? "Histogram of values, log-spaced bins" : "Histogram of values"}
            yLabel="profiles"
          />
        ) : d.kind === "categorical" ? (
          <HBarChart rows={d.top.map((t) => ({ label: t.value, value: t.count }))} desc="Most frequent values" />
        ) : (
          <p class="muted">No profile has a value yet.</p>
        )}
      </ChartCard>
    </div>
  );
}
