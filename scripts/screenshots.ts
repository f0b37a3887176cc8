// `npm run screenshots [-- --out docs] [--user 12347]`
// The README's admin UI pictures, taken in Chromium from the walkthrough's state — after
// `npm start`, the walkthrough's definitions, `npm run load … --bulk` and both `npm run
// train` — so the numbers in them are the data set's, as the README quotes them. Take
// them right after the load: the data ends at the moment it was loaded, so the 30-day
// cohort loses its oldest members as the hours pass (1,649 at once, 1,642 an hour later).
// Data: Chen, Sain & Guo (2012), Online Retail, UCI ML Repository, https://doi.org/10.24432/C5BW33, CC BY 4.0.
import { join } from "node:path";
import { chromium } from "playwright-core";
import { adminCall, option, readLocal } from "./lib/local.mjs";
import { ATTRIBUTION } from "./lib/retail-load";

const argv = process.argv.slice(2);
const local = readLocal();
if (!local) {
  console.error("No local server: run `npm start`, the README's walkthrough (definitions, `npm run load`, `npm run train`), then this.");
  process.exit(2);
}
const url = option(argv, "url", local.url)!;
const project = option(argv, "project", local.project)!;
const out = option(argv, "out", "docs")!;
const user = option(argv, "user", "12347")!;
const token: string = local.admin_token;

type Listed = { id: string; name: string };
const list = async (kind: string): Promise<Listed[]> =>
  ((await adminCall(url, token, "GET", `/projects/${project}/${kind}`)).json as Record<string, Listed[]>)[kind]!;
const [cohorts, predictions, recommendations] = await Promise.all([list("cohorts"), list("predictions"), list("recommendations")]);
const cohort = cohorts.find((c) => c.name === "Ordered in the last 30 days");
if (cohort === undefined || predictions[0] === undefined || recommendations[0] === undefined) {
  console.error("Run the README's walkthrough first: its cohort, prediction and recommendation are not all defined.");
  process.exit(2);
}

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu"] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const admin = `${url}/admin/p/${project}`;
  await page.goto(`${admin}/cohorts/${cohort.id}`);
  await page.getByLabel("Admin token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${admin}/cohorts/${cohort.id}`);
  const shot = async (name: string, what: string) => {
    await page.screenshot({ path: join(out, name), fullPage: true });
    console.log(`${join(out, name)}: ${what}`);
  };
  await shot("admin-cohort.png", `${cohort.name}, size ${await page.locator("#cohort-size").textContent()}`);

  // An edit's estimate before saving it: a sample of the project's profiles, with its interval.
  await page.goto(`${admin}/cohorts/new`);
  await page.getByLabel("Name").fill("Ordered in the last 30 days, estimated");
  await page.locator("details summary").click();
  const { definition } = (await adminCall(url, token, "GET", `/projects/${project}/cohorts/${cohort.id}`)).json as { definition: unknown };
  await page.getByLabel("Definition (JSON)").fill(JSON.stringify(definition, null, 2));
  await page.locator('button[value="preview_json"]').click();
  await page.locator("#size-preview").first().waitFor();
  await shot("admin-estimate.png", (await page.locator("#size-preview").first().textContent()) ?? "");

  await page.goto(`${admin}/predictions/${predictions[0].id}`);
  await shot("admin-prediction.png", predictions[0].name);

  await page.goto(`${admin}/users?id_type=user_id&id=${encodeURIComponent(user)}`);
  await page.locator("#profile").waitFor({ timeout: 120_000 }); // a cold profile and model load first
  await shot("admin-user.png", `user ${user}`);

  await page.goto(`${admin}/recommendations/${recommendations[0].id}?user_id=${encodeURIComponent(user)}`);
  await shot("admin-recommendation.png", `${recommendations[0].name} for ${user}`);
} finally {
  await browser.close();
}
console.log(ATTRIBUTION);
