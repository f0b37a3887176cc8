import type { Context } from "hono";
import { admitProfiles } from "../core/admission";
import { readConfig } from "../core/config";
import { renderItems, valueText } from "../core/edge-render/fill";
import { visitorFromCookies } from "../core/edge-render/visitor-cookies";
import type { ProfileRef } from "../core/event";
import type { AppEnv } from "./app";
import { db } from "./db";
import { AppError } from "./errors";
import { ingestKeyOf } from "./keys";
import { anonymousAnswer, personalizeAnswer, rateLimited, type PersonalizeAnswer } from "./personalize";
import { projectSettings } from "./project-settings";

/**
 * Personalization rendered at the edge: the Worker sits in front of a site (EDGE_ORIGIN),
 * passes every request that is not one of Tailor's own routes to it, and fills the marked
 * elements of its HTML pages for the visitor (found in the page SDK's cookies) while the
 * page streams through HTMLRewriter — so the content is in the first HTML, no flicker:
 *
 *   <ul data-tailor-recommendations="rec_…" data-tailor-template='<li>{{item}}</li>' data-tailor-limit="4">fallback</ul>
 *   <div data-tailor-cohort="coh_…">members only</div>  <div data-tailor-not-cohort="coh_…">everyone else</div>
 *   <span data-tailor-value="cmp_…">fallback</span>
 *
 * Only what the project made public for /v1/personalize is filled in. A page never fails
 * for want of personalization: at the admission bound, the read limit or any error it
 * keeps its own content (cohort-only elements removed, as for an unknown visitor).
 */
const A = {
  recs: "data-tailor-recommendations",
  template: "data-tailor-template",
  limit: "data-tailor-limit",
  cohort: "data-tailor-cohort",
  notCohort: "data-tailor-not-cohort",
  value: "data-tailor-value",
} as const;

export interface EdgeSite {
  origin: URL;
  projectId: string;
}

/** The site this Worker fronts, or null when edge rendering is off (EDGE_ORIGIN empty). */
export function edgeSite(env: Pick<Env, "EDGE_ORIGIN" | "EDGE_PROJECT">): EdgeSite | null {
  if (!env.EDGE_ORIGIN) return null;
  return { origin: new URL(env.EDGE_ORIGIN), projectId: env.EDGE_PROJECT || "default" };
}

interface Personalized {
  ref: ProfileRef | null;
  answer: PersonalizeAnswer;
}

/** The visitor's answer (exposure false: only what is rendered counts as shown), or null when it cannot be had. */
async function visitorAnswer(env: Env, projectId: string, cookies: string | undefined): Promise<Personalized | null> {
  try {
    const key = await ingestKeyOf(db(env), projectId);
    if (key === null) return null;
    const settings = await projectSettings(db(env), projectId);
    const visitor = visitorFromCookies(cookies, key);
    // The cookies are the page script's: in secure mode a user id found there is not verified.
    const mode = settings.personalize.identity_verification;
    const ref: ProfileRef | null =
      visitor.userId !== undefined && !mode.required
        ? { kind: "user", id: visitor.userId }
        : visitor.deviceId !== undefined && (!mode.required || mode.allow_device_ids)
          ? { kind: "device", id: visitor.deviceId }
          : null;
    if (ref === null) return { ref, answer: await anonymousAnswer(env, projectId, settings) };
    if (!admitProfiles(readConfig(env), projectId, [ref]).ok || (await rateLimited(env, projectId))) return null;
    return { ref, answer: await personalizeAnswer(env, projectId, settings, ref, false) };
  } catch (err) {
    console.error("edge rendering: the page goes out without personalization", err);
    return null;
  }
}

const isHtml = (res: Response) => (res.headers.get("content-type") ?? "").toLowerCase().includes("text/html");

export async function renderAtEdge(c: Context<AppEnv>, site: EdgeSite): Promise<Response> {
  const incoming = new URL(c.req.url);
  const method = c.req.method;
  const headers = new Headers(c.req.raw.headers);
  headers.delete("host");
  headers.set("x-forwarded-host", incoming.host);
  headers.set("x-forwarded-proto", incoming.protocol.replace(":", ""));
  const request = new Request(new URL(incoming.pathname + incoming.search, site.origin), {
    method,
    headers,
    body: method === "GET" || method === "HEAD" ? null : c.req.raw.body,
    redirect: "manual",
  });
  // A page is asked for by a browser navigation (Accept: text/html): its answer is read beside the origin's.
  const page = method === "GET" && (c.req.header("accept") ?? "").includes("text/html");
  const personalized = page ? visitorAnswer(c.env, site.projectId, c.req.header("cookie")) : null;
  let res: Response;
  try {
    res = await fetch(request);
  } catch (err) {
    throw new AppError(502, "unavailable", `The site's origin ${site.origin.origin} did not answer: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (personalized === null || !isHtml(res)) return res;

  let shown: Personalized | null = null;
  const rewritten = new HTMLRewriter()
    .on(`[${A.recs}]`, {
      async element(el) {
        const p = await personalized;
        const rec = p?.answer.recommendations.find((r) => r.rec_id === el.getAttribute(A.recs));
        if (p === null || rec === undefined || rec.items.length === 0) return;
        const limit = Number(el.getAttribute(A.limit) ?? "");
        el.setInnerContent(renderItems(el.getAttribute(A.template), rec.items, Number.isInteger(limit) && limit > 0 ? limit : Infinity), { html: true });
        el.setAttribute("data-tailor-source", rec.recommendation_source);
        shown = p;
      },
    })
    .on(`[${A.cohort}]`, {
      async element(el) {
        if ((await personalized)?.answer.cohorts[el.getAttribute(A.cohort) ?? ""] !== true) el.remove();
      },
    })
    .on(`[${A.notCohort}]`, {
      async element(el) {
        if ((await personalized)?.answer.cohorts[el.getAttribute(A.notCohort) ?? ""] === true) el.remove();
      },
    })
    .on(`[${A.value}]`, {
      async element(el) {
        const value = valueText((await personalized)?.answer.computations[el.getAttribute(A.value) ?? ""]);
        if (value !== null) el.setInnerContent(value);
      },
    })
    .onDocument({
      end() {
        // Rendered lists were shown: measured as /v1/personalize?exposure=true measures them.
        const p: Personalized | null = shown;
        if (p?.ref) c.executionCtx.waitUntil(personalizeExposure(c.env, site.projectId, p.ref));
      },
    })
    .transform(res);
  const out = new Response(rewritten.body, rewritten);
  out.headers.delete("content-length");
  // The page now depends on who asks: no shared cache may keep it.
  out.headers.set("cache-control", "private, no-cache");
  out.headers.append("vary", "Cookie");
  return out;
}

async function personalizeExposure(env: Env, projectId: string, ref: ProfileRef): Promise<void> {
  try {
    await personalizeAnswer(env, projectId, await projectSettings(db(env), projectId), ref, true);
  } catch (err) {
    console.error("edge rendering: the exposure was not recorded", err);
  }
}
