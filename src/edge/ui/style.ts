/** The admin UI's one stylesheet, served at /admin/ui.css. */
export const STYLESHEET = `
:root {
  --bg: #f6f7f9; --panel: #fff; --ink: #1d2330; --muted: #5d6679; --line: #dfe3ea;
  --accent: #3451d1; --accent-ink: #fff; --bad: #b42318; --bad-bg: #fdecea; --good: #0f7b4f; --good-bg: #e6f5ee;
  --warn-bg: #fff7e0; --radius: 6px;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg);
}
* { box-sizing: border-box; }
body { margin: 0; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
code, pre, textarea.code { font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
header.top { display: flex; align-items: center; gap: 24px; padding: 10px 24px; background: #1d2330; color: #fff; }
header.top .brand { font-weight: 700; letter-spacing: .02em; color: #fff; }
header.top form { margin: 0; display: flex; gap: 8px; align-items: center; }
header.top label { color: #c9cfdb; font-size: 13px; }
header.top select { padding: 4px 6px; }
header.top .spacer { flex: 1; }
header.top button { background: transparent; color: #c9cfdb; border: 1px solid #48506a; }
.shell { display: flex; min-height: calc(100vh - 50px); }
nav.side { width: 200px; flex: none; padding: 16px 0; border-right: 1px solid var(--line); background: var(--panel); }
nav.side a { display: block; padding: 7px 24px; color: var(--ink); }
nav.side a[aria-current="page"] { background: #eef1fc; color: var(--accent); font-weight: 600; border-left: 3px solid var(--accent); padding-left: 21px; }
main { flex: 1; padding: 24px 32px; max-width: 1100px; }
h1 { font-size: 22px; margin: 0 0 16px; }
h2 { font-size: 17px; margin: 28px 0 10px; }
h3 { font-size: 15px; margin: 16px 0 8px; }
.muted { color: var(--muted); }
.nowrap { white-space: nowrap; }
td { overflow-wrap: anywhere; }
.props { display: flex; flex-wrap: wrap; gap: 2px 14px; }
ul.props { list-style: none; padding: 0; margin: 0; }
ol.items, ul.items { margin: 4px 0; padding-left: 22px; }
.item-label { color: var(--ink, inherit); }
.row { display: flex; gap: 12px; align-items: center; flex-wrap: wrap; }
.between { display: flex; justify-content: space-between; align-items: center; gap: 12px; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: var(--radius); padding: 16px 20px; margin-bottom: 16px; }
table { width: 100%; border-collapse: collapse; background: var(--panel); border: 1px solid var(--line); border-radius: var(--radius); }
th, td { text-align: left; padding: 8px 12px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr:last-child td { border-bottom: none; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; background: #eceff4; color: var(--muted); }
.badge.good { background: var(--good-bg); color: var(--good); }
.badge.bad { background: var(--bad-bg); color: var(--bad); }
.big { font-size: 28px; font-weight: 700; font-variant-numeric: tabular-nums; }
.stats { display: flex; gap: 32px; flex-wrap: wrap; }
.stats div span { display: block; font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
.field { margin-bottom: 14px; }
.field > label, .field > span.label { display: block; font-weight: 600; font-size: 13px; margin-bottom: 4px; }
.field .hint { font-size: 12px; color: var(--muted); margin-top: 3px; }
input[type=text], input[type=number], input[type=password], input[type=url], input:not([type]), select, textarea {
  font: inherit; padding: 6px 8px; border: 1px solid #c3c9d5; border-radius: 4px; background: #fff; color: var(--ink); max-width: 100%;
}
input:focus, select:focus, textarea:focus, button:focus { outline: 2px solid #9db0f5; outline-offset: 1px; }
input.wide, textarea { width: 100%; }
textarea.code { min-height: 220px; }
[aria-invalid="true"] { border-color: var(--bad) !important; background: #fffafa; }
.error { color: var(--bad); font-size: 13px; margin-top: 4px; }
.alert { padding: 10px 14px; border-radius: var(--radius); margin-bottom: 16px; background: var(--bad-bg); color: var(--bad); }
.alert.good { background: var(--good-bg); color: var(--good); }
.alert.warn { background: var(--warn-bg); color: #7a5300; }
button, .button { font: inherit; font-weight: 600; padding: 6px 14px; border-radius: 4px; border: 1px solid var(--accent); background: var(--accent); color: var(--accent-ink); cursor: pointer; display: inline-block; }
button.secondary, .button.secondary { background: #fff; color: var(--accent); }
button.danger { background: #fff; color: var(--bad); border-color: #e4b4ae; }
button:hover, .button:hover { filter: brightness(1.07); text-decoration: none; }
fieldset { border: 1px solid var(--line); border-radius: var(--radius); padding: 10px 14px 4px; margin: 0 0 12px; }
legend { font-weight: 600; font-size: 13px; padding: 0 6px; }
.clause { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 8px 12px; }
.clause .field { margin-bottom: 6px; }
.clause .field input, .clause .field select { width: 100%; }
details > summary { cursor: pointer; font-weight: 600; margin-bottom: 10px; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(330px, 1fr)); gap: 16px; align-items: start; margin-bottom: 16px; }
figure.chart { margin: 0; }
.chart { background: var(--panel); border: 1px solid var(--line); border-radius: var(--radius); padding: 12px 14px; }
.chart h3 { margin: 0 0 8px; }
.chart svg { display: block; width: 100%; height: auto; }
.chart svg text { font: 11px system-ui, sans-serif; fill: var(--muted); }
.chart .axis { stroke: #9aa3b5; stroke-width: 1; }
.chart .grid { stroke: #eceff4; stroke-width: 1; }
.chart .series { fill: none; stroke: var(--accent); stroke-width: 2; }
.chart .reference { fill: none; stroke: #b7bfcf; stroke-width: 1; stroke-dasharray: 4 3; }
.chart .bar { fill: var(--accent); opacity: .85; }
.chart .bar.neg { fill: #c0504d; }
.chart .dot { fill: var(--accent); }
.chart .legend { font-size: 12px; color: var(--muted); margin-top: 6px; }
pre.json { background: #f3f5f8; border: 1px solid var(--line); border-radius: 4px; padding: 10px; overflow: auto; max-height: 360px; margin: 0; }
.signin { max-width: 380px; margin: 12vh auto; }
.signin h1 { text-align: center; }
.key { font-family: ui-monospace, monospace; background: #f3f5f8; padding: 2px 6px; border-radius: 4px; word-break: break-all; }
`;
