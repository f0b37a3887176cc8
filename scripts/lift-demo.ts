// `npm run demo:lift [-- --control 20] [--uplift 0.3] [--screenshot docs/admin-performance.png]`
// A lift report on the data set's real customers with a SIMULATED treatment effect, for
// the README's walkthrough: after `npm run load` on a running `npm start`, it holds out
// `--control` % of users as the project's global control group, reads every customer's
// personalization through /v1/personalize (their exposure), then makes each customer order
// within the attribution window with the probability of its own history (the share of the
// data set's weeks in which it ordered, at its mean order value), times 1 + `--uplift`
// when personalized. The report (GET /performance, the admin UI's Performance page) then
// measures that effect. Nothing here is a real outcome of personalization.
// Data: Chen, Sain & Guo (2012), Online Retail, UCI ML Repository, https://doi.org/10.24432/C5BW33, CC BY 4.0.
import { adminCall, option, readLocal } from "./lib/local.mjs";
import { ATTRIBUTION, DEFAULT_DATA, invoices, send } from "./lib/retail-load";

const WEEK_MS = 7 * 86_400_000;
const argv = process.argv.slice(2);
const local = readLocal();
if (!local) {
  console.error("No local server: run `npm start` (it writes .tailor/local.json), then `npm run load`.");
  process.exit(2);
}
const url = option(argv, "url", local.url)!;
const project = option(argv, "project", local.project)!;
const control = Number(option(argv, "control", "20"));
const uplift = Number(option(argv, "uplift", "0.3"));
const screenshot = option(argv, "screenshot");
const concurrency = Number(option(argv, "concurrency", "8"));
if (!(control > 0 && control <= 50) || !(uplift >= 0)) {
  console.error("--control must be in (0, 50] and --uplift ≥ 0");
  process.exit(2);
}

/** Each customer's share of the data set's weeks with an order, and mean order value. */
async function customerHistories(file: string) {
  const weeks = new Map<string, Set<number>>();
  const revenue = new Map<string, { sum: number; orders: number }>();
  let first = Infinity;
  let last = -Infinity;
  for await (const lines of invoices(file)) {
    const l = lines[0]!;
    if (l.customerId === null || l.invoice.startsWith("C")) continue;
    first = Math.min(first, l.time);
    last = Math.max(last, l.time);
    (weeks.get(l.customerId) ?? weeks.set(l.customerId, new Set()).get(l.customerId)!).add(Math.floor(l.time / WEEK_MS));
    const r = revenue.get(l.customerId) ?? { sum: 0, orders: 0 };
    r.sum += lines.reduce((s, x) => s + x.unitPrice * x.quantity, 0);
    r.orders++;
    revenue.set(l.customerId, r);
  }
  const span = Math.max(1, Math.round((last - first) / WEEK_MS));
  return [...weeks].map(([id, w]) => ({
    id,
    weekly: Math.min(1, w.size / span),
    value: Math.round((revenue.get(id)!.sum / revenue.get(id)!.orders) * 100) / 100,
  }));
}

/** A seeded uniform draw (Park–Miller): the same customers order on every run. */
function rng(seed: number) {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

async function personalize(apiKey: string, userId: string): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(`${url}/v1/personalize?api_key=${apiKey}&user_id=${encodeURIComponent(userId)}`).catch(() => null);
    if (res?.ok) return ((await res.json()) as { global_control?: boolean }).global_control === true;
    if (res !== null && res.status !== 429 && res.status < 500) throw new Error(`/v1/personalize: ${res.status} ${await res.text()}`);
    if (attempt >= 10) throw new Error(`/v1/personalize kept failing (${res?.status ?? "no answer"})`);
    const wait = Math.max(Number(res?.headers.get("retry-after") ?? 0) * 1000, 200 * 2 ** attempt);
    await new Promise((r) => setTimeout(r, Math.min(wait, 15_000) * (0.5 + Math.random())));
  }
}

const token = local.admin_token;
const apiKey =
  local.project === project
    ? local.api_key
    : (await adminCall<{ project: { api_key: string } }>(url, token, "GET", `/projects/${project}`)).json.project.api_key;
const settings = (await adminCall<Record<string, unknown>>(url, token, "GET", `/projects/${project}/settings`)).json;
await adminCall(url, token, "PUT", `/projects/${project}/settings`, {
  ...settings,
  global_control: { percent: control, goal: { event: { type: "Order Completed" } }, attribution_days: 7, value_property: "revenue" },
});

const customers = await customerHistories(DEFAULT_DATA);
console.log(
  `${customers.length.toLocaleString()} customers; holding out ${control} % as the global control group; simulated uplift ×${1 + uplift} in each customer's weekly order rate when personalized`,
);
const inControl = new Map<string, boolean>();
for (let i = 0; i < customers.length; i += concurrency) {
  await Promise.all(customers.slice(i, i + concurrency).map(async (c) => inControl.set(c.id, await personalize(apiKey, c.id))));
  if (i % 400 === 0) process.stderr.write(`\r${i.toLocaleString()} of ${customers.length.toLocaleString()} customers shown their personalization   `);
}
process.stderr.write("\n");

const draw = rng(17);
const now = Date.now() + 1_000;
const orders = customers.flatMap((c, i) => {
  const p = inControl.get(c.id) ? c.weekly : Math.min(1, c.weekly * (1 + uplift));
  if (draw() >= p) return [];
  return [
    { user_id: c.id, event_type: "Order Completed", time: now + i, insert_id: `lift-demo-${c.id}`, event_properties: { revenue: c.value, simulated: true } },
  ];
});
for (let i = 0; i < orders.length; i += 500) await send(url, apiKey, orders.slice(i, i + 500));

const arms = { treatment: { users: 0, orders: 0 }, control: { users: 0, orders: 0 } };
const ordered = new Set(orders.map((o) => o.user_id));
for (const c of customers) {
  const arm = inControl.get(c.id) ? arms.control : arms.treatment;
  arm.users++;
  if (ordered.has(c.id)) arm.orders++;
}
console.log(
  `sent (simulated): treatment ${arms.treatment.orders} orders of ${arms.treatment.users} users, control ${arms.control.orders} of ${arms.control.users}`,
);

// Conversions reach D1 as the profiles write them: wait until the report counts every order.
type Arm = { users: number; conversions: number; rate: { estimate: number; low: number; high: number } };
let report: { treatment: Arm; control: Arm; relative: { estimate: number; low: number; high: number } | null; p_value: number | null } | undefined;
for (let i = 0; i < 60; i++) {
  report = (await adminCall<{ report: typeof report }>(url, token, "GET", `/projects/${project}/performance`)).json.report;
  if (report && report.treatment.conversions + report.control.conversions >= orders.length) break;
  await new Promise((r) => setTimeout(r, 1_000));
}
const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
if (report) {
  console.log(
    `report: treatment ${pct(report.treatment.rate.estimate)} of ${report.treatment.users}, control ${pct(report.control.rate.estimate)} of ${report.control.users}` +
      (report.relative
        ? `; relative lift ${pct(report.relative.estimate)} (95 % ${pct(report.relative.low)} … ${pct(report.relative.high)}), p = ${report.p_value?.toFixed(4)}`
        : ""),
  );
}

if (screenshot) {
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu"] });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${url}/admin/p/${project}/performance`);
    await page.getByLabel("Admin token").fill(token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${url}/admin/p/${project}/performance`);
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`screenshot: ${screenshot}`);
  } finally {
    await browser.close();
  }
}
console.log(ATTRIBUTION);
