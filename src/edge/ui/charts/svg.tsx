import type { Child } from "hono/jsx";
import { barLayout, FRAME, hbarLayout, linePath, niceTicks, plotScales, type Frame } from "./geometry";

const label = (v: number) => (Math.abs(v) >= 1000 ? `${Math.round(v / 100) / 10}k` : Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) < 1 ? 2 : 1));

export function ChartCard(props: { title: string; children: Child; legend?: Child }) {
  return (
    <figure class="chart">
      <h3>{props.title}</h3>
      {props.children}
      {props.legend === undefined ? null : <figcaption class="legend">{props.legend}</figcaption>}
    </figure>
  );
}

export interface Series {
  points: [number, number][];
  /** CSS class: `series` (a line), `reference` (dashed), or with `dots`. */
  className?: string;
  dots?: boolean;
}

/** A line chart on numeric axes (ROC, calibration). */
export function XYChart(props: { series: Series[]; x: [number, number]; y: [number, number]; xLabel: string; yLabel: string; desc: string; frame?: Frame }) {
  const frame = props.frame ?? FRAME;
  const s = plotScales(frame, props.x, props.y);
  const { margin, width, height } = frame;
  return (
    <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={props.desc}>
      <desc>{props.desc}</desc>
      {niceTicks(props.y[0], props.y[1], 4).map((t) => (
        <g>
          <line class="grid" x1={margin.left} x2={width - margin.right} y1={s.y(t)} y2={s.y(t)} />
          <text x={margin.left - 6} y={s.y(t) + 4} text-anchor="end">
            {label(t)}
          </text>
        </g>
      ))}
      {niceTicks(props.x[0], props.x[1], 4).map((t) => (
        <text x={s.x(t)} y={height - margin.bottom + 14} text-anchor="middle">
          {label(t)}
        </text>
      ))}
      <line class="axis" x1={margin.left} x2={width - margin.right} y1={height - margin.bottom} y2={height - margin.bottom} />
      <line class="axis" x1={margin.left} x2={margin.left} y1={margin.top} y2={height - margin.bottom} />
      <text x={(margin.left + width - margin.right) / 2} y={height - 4} text-anchor="middle">
        {props.xLabel}
      </text>
      <text x={12} y={(margin.top + height - margin.bottom) / 2} text-anchor="middle" transform={`rotate(-90 12 ${(margin.top + height - margin.bottom) / 2})`}>
        {props.yLabel}
      </text>
      {props.series.map((line) => (
        <g>
          <path class={line.className ?? "series"} d={linePath(line.points, s.x, s.y)} />
          {line.dots ? line.points.map(([px, py]) => <circle class="dot" cx={s.x(px)} cy={s.y(py)} r="3" />) : null}
        </g>
      ))}
    </svg>
  );
}

/** Vertical bars with labels under some of them (score distribution, daily changes). */
export function BarChart(props: { values: number[]; labels: string[]; desc: string; yLabel?: string; frame?: Frame }) {
  const frame = props.frame ?? FRAME;
  const { bars, y, domain } = barLayout(props.values, frame);
  const { margin, width, height } = frame;
  const every = Math.max(1, Math.ceil(props.labels.length / 6));
  return (
    <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={props.desc}>
      <desc>{props.desc}</desc>
      {niceTicks(domain[0], domain[1], 4).map((t) => (
        <g>
          <line class="grid" x1={margin.left} x2={width - margin.right} y1={y(t)} y2={y(t)} />
          <text x={margin.left - 6} y={y(t) + 4} text-anchor="end">
            {label(t)}
          </text>
        </g>
      ))}
      {bars.map((b, i) => (
        <rect class={b.negative ? "bar neg" : "bar"} x={b.x} y={b.y} width={b.width} height={Math.max(b.height, props.values[i] === 0 ? 0 : 0.5)}>
          <title>
            {props.labels[i]}: {label(props.values[i]!)}
          </title>
        </rect>
      ))}
      <line class="axis" x1={margin.left} x2={width - margin.right} y1={y(0)} y2={y(0)} />
      {bars.map((b, i) =>
        i % every === 0 ? (
          <text x={b.x + b.width / 2} y={height - margin.bottom + 14} text-anchor="middle">
            {props.labels[i]}
          </text>
        ) : null,
      )}
      {props.yLabel === undefined ? null : (
        <text
          x={12}
          y={(margin.top + height - margin.bottom) / 2}
          text-anchor="middle"
          transform={`rotate(-90 12 ${(margin.top + height - margin.bottom) / 2})`}
        >
          {props.yLabel}
        </text>
      )}
    </svg>
  );
}

/** Horizontal bars with a label per row (feature importance). */
export function HBarChart(props: { rows: { label: string; value: number }[]; desc: string }) {
  const width = 320;
  const labelWidth = 150;
  const rowHeight = 20;
  const { bars, zero } = hbarLayout(
    props.rows.map((r) => r.value),
    width,
    labelWidth,
    rowHeight,
  );
  const height = props.rows.length * rowHeight + 4;
  return (
    <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={props.desc}>
      <desc>{props.desc}</desc>
      {props.rows.map((row, i) => (
        <g>
          <text x={labelWidth - 6} y={i * rowHeight + 14} text-anchor="end">
            {row.label.length > 22 ? `${row.label.slice(0, 20)}…` : row.label}
          </text>
          <rect class={bars[i]!.negative ? "bar neg" : "bar"} x={bars[i]!.x} y={bars[i]!.y} width={Math.max(bars[i]!.width, 0.5)} height={bars[i]!.height}>
            <title>
              {row.label}: {row.value.toFixed(3)}
            </title>
          </rect>
        </g>
      ))}
      <line class="axis" x1={zero} x2={zero} y1={0} y2={height} />
    </svg>
  );
}
