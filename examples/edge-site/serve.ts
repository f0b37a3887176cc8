// A shop for trying personalization rendered at the edge: this server is the site's
// origin (http://127.0.0.1:8790); the local Tailor server, started with
// EDGE_ORIGIN=http://127.0.0.1:8790, fronts it and fills the page's marked elements for
// each visitor. Product names come from the data set. See README, "Rendering at the edge".
//   npm run example:edge [-- --port 8790 --rec rec_… --cohort coh_… --computation cmp_…]
// Data: Chen, Sain & Guo (2012), Online Retail, UCI ML Repository, https://doi.org/10.24432/C5BW33, CC BY 4.0.
import { createServer } from "node:http";
import { adminCall, option, readLocal } from "../../scripts/lib/local.mjs";
import { ATTRIBUTION, DEFAULT_DATA, invoices } from "../../scripts/lib/retail-load";
import { escapeHtml } from "../../src/core/edge-render/fill";

const argv = process.argv.slice(2);
const port = Number(option(argv, "port", "8790"));
const tailor = option(argv, "tailor", "http://127.0.0.1:8787") as string;
const { admin_token: token, api_key: apiKey } = readLocal() as { admin_token: string; api_key: string };
if (!token || !apiKey) throw new Error("no .tailor/local.json: run npm start first");

type Item = { id: string; name: string };
const first = async (kind: string) => ((await adminCall(tailor, token, "GET", `/projects/default/${kind}`)).json[kind] as Item[])[0]?.id;
const rec = option(argv, "rec") ?? (await first("recommendations"));
const cohort = option(argv, "cohort") ?? (await first("cohorts"));
const computation = option(argv, "computation") ?? (await first("computations"));
if (!rec || !cohort || !computation) throw new Error("define a recommendation, a cohort and a computed property first (README, Five minutes with Tailor)");

// What a page may show must be public for /v1/personalize (and so for the edge): add these three.
type Lists = { recommendations: string[]; cohorts: string[]; computations: string[] };
const settings = (await adminCall(tailor, token, "GET", "/projects/default/settings")).json as { personalize: Lists };
const add = (list: string[], id: string) => (list.includes(id) ? list : [...list, id]);
settings.personalize = {
  ...settings.personalize,
  recommendations: add(settings.personalize.recommendations, rec),
  cohorts: add(settings.personalize.cohorts, cohort),
  computations: add(settings.personalize.computations, computation),
};
await adminCall(tailor, token, "PUT", "/projects/default/settings", settings);

const names = new Map<string, string>();
for await (const lines of invoices(DEFAULT_DATA)) for (const l of lines) if (!names.has(l.stockCode)) names.set(l.stockCode, l.description);

// "Browse as customer …" sets the cookie Amplitude's browser SDK would (AMP_<key>), so the edge finds the visitor.
const cookieScript = `document.querySelector("#as").addEventListener("submit", (e) => {
  e.preventDefault();
  const id = new FormData(e.target).get("user_id");
  const state = btoa(encodeURIComponent(JSON.stringify({ userId: id || undefined, deviceId: "demo-" + Math.random().toString(36).slice(2) })));
  document.cookie = "AMP_${apiKey.slice(0, 10)}=" + encodeURIComponent(state) + "; path=/" + (id ? "" : "; max-age=0");
  location.reload();
});`;

const layout = (title: string, body: string) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:760px;margin:2rem auto;padding:0 1rem}ul.recs{display:grid;grid-template-columns:repeat(2,1fr);gap:.5rem;padding:0;list-style:none}
ul.recs li{border:1px solid #ddd;border-radius:6px;padding:.5rem}.banner{background:#eef6ee;padding:.5rem 1rem;border-radius:6px}footer{color:#777;font-size:13px;margin-top:3rem}</style></head>
<body><form id="as"><label>Browse as customer <input name="user_id" placeholder="12347"></label> <button>Go</button> (empty: anonymous)</form>
${body}<footer>${escapeHtml(ATTRIBUTION)}</footer><script>${cookieScript}</script></body></html>`;

const home = () =>
  layout(
    "Demo shop",
    `<h1>Demo shop</h1>
<div class="banner" data-tailor-cohort="${cohort}">Welcome back: you ordered in the last 30 days. Your lifetime spend: £<span data-tailor-value="${computation}">–</span></div>
<div class="banner" data-tailor-not-cohort="${cohort}">New here? Free delivery on your first order.</div>
<h2>Picked for you</h2>
<ul class="recs" data-tailor-recommendations="${rec}" data-tailor-limit="6" data-tailor-template='<li><a href="/product/{{item}}">{{item}}</a></li>'><li>Our bestsellers</li></ul>`,
  );

createServer((req, res) => {
  const product = /^\/product\/([^/?]+)/.exec(req.url ?? "")?.[1];
  if (product !== undefined) {
    const id = decodeURIComponent(product);
    res
      .writeHead(200, { "content-type": "text/html; charset=utf-8" })
      .end(layout(id, `<p><a href="/">← Shop</a></p><h1>${escapeHtml(names.get(id) ?? id)}</h1><p>Product ${escapeHtml(id)}</p>`));
  } else if (req.url === "/" || req.url?.startsWith("/?")) res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(home());
  else res.writeHead(404, { "content-type": "text/plain" }).end("not found");
}).listen(port, "127.0.0.1", () => {
  console.log(`the shop's origin on http://127.0.0.1:${port} (recommendation ${rec}, cohort ${cohort}, value ${computation}, now public for /v1/personalize)`);
  console.log(`with EDGE_ORIGIN=http://127.0.0.1:${port} in .dev.vars and npm start restarted, open ${tailor}/ — the page as each visitor gets it`);
});
