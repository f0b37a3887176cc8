import type { LiftReport } from "../../core/lift";
import type { DailyArms } from "../lift-store";
import { ChartCard, XYChart } from "./charts/svg";
import { fmt } from "./layout";
import { liftSentences, percent } from "./lift-words";

export interface PerformanceView {
  control_percent: number;
  attribution: { days: number; on_recommended_item: boolean; value_property: string };
  report: LiftReport;
  daily: DailyArms[];
}

/** Cumulative conversion rate per arm after each day of exposures. */
function cumulative(daily: readonly DailyArms[], arm: "treatment" | "control"): [number, number][] {
  let users = 0;
  let conversions = 0;
  return daily.map((d, i) => {
    users += d[arm].users;
    conversions += d[arm].conversions;
    return [i, users === 0 ? 0 : conversions / users];
  });
}

/**
 * A recommendation's lift, as a marketer reads it: the verdict in words, both arms with
 * their intervals, and the cumulative conversion rates day by day.
 */
export function PerformancePanel(props: { view: PerformanceView; subject?: string }) {
  const { report, daily, attribution, control_percent } = props.view;
  const rows = [
    ["Treatment", report.treatment],
    ["Control", report.control],
  ] as const;
  const t = cumulative(daily, "treatment");
  const c = cumulative(daily, "control");
  const top = Math.max(0.05, ...t.map((p) => p[1]), ...c.map((p) => p[1]));
  return (
    <div id="performance">
      <div class="panel" id="lift-words">
        {liftSentences(report, control_percent, props.subject).map((s) => (
          <p>{s}</p>
        ))}
        <p class="muted">
          A conversion is a goal event {attribution.on_recommended_item ? "on a recommended item " : ""}within {attribution.days} days of a user's first
          exposure; {control_percent} % of users are held out as control.
        </p>
      </div>
      <table id="lift-arms">
        <thead>
          <tr>
            <th>Group</th>
            <th class="num">Users shown</th>
            <th class="num">Converted</th>
            <th class="num">Rate (95 % interval)</th>
            <th class="num">{attribution.value_property} per user</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([label, a]) => (
            <tr>
              <td>{label}</td>
              <td class="num">{fmt(a.users)}</td>
              <td class="num">{fmt(a.conversions)}</td>
              <td class="num">{a.users === 0 ? "–" : `${percent(a.rate.estimate)} (${percent(a.rate.low)} … ${percent(a.rate.high)})`}</td>
              <td class="num">{fmt(a.value_per_user?.estimate, 2)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {daily.length < 2 ? null : (
        <div class="charts">
          <ChartCard title="Conversion rate, cumulative" legend={`Solid: treatment. Dashed: control. Day 0 is ${daily[0]!.day}.`}>
            <XYChart
              x={[0, daily.length - 1]}
              y={[0, top]}
              xLabel="day"
              yLabel="converted"
              desc="Cumulative conversion rate by group"
              series={[{ points: c, className: "reference" }, { points: t }]}
            />
          </ChartCard>
        </div>
      )}
    </div>
  );
}
