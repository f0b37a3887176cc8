import { raw } from "hono/html";
import type { Child } from "hono/jsx";

export interface ProjectRef {
  id: string;
  name: string;
}

export interface PageContext {
  /** The session's CSRF token (a meta tag for scripts, a hidden field in forms). */
  csrf: string;
  project?: string;
  projects?: ProjectRef[];
  /** Which nav entry is current. */
  section?: string;
}

export const NAV = [
  ["cohorts", "Cohorts"],
  ["computations", "Computed properties"],
  ["predictions", "Predictions"],
  ["recommendations", "Recommendations"],
  ["destinations", "Destinations"],
  ["syncs", "Syncs"],
  ["performance", "Performance"],
  ["users", "User lookup"],
  ["jobs", "Downloads & deletions"],
  ["keys", "Project keys"],
] as const;

/** Base path of a project's pages. */
export const projectPath = (project: string, rest = "") => `/admin/p/${encodeURIComponent(project)}${rest}`;

export function Document(props: { title: string; csrf?: string; children: Child }) {
  return (
    <>
      {raw("<!DOCTYPE html>")}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          {props.csrf === undefined ? null : <meta name="csrf-token" content={props.csrf} />}
          <title>{props.title} · Tailor admin</title>
          <link rel="stylesheet" href="/admin/ui.css" />
          <script src="/admin/ui.js" defer></script>
        </head>
        <body>{props.children}</body>
      </html>
    </>
  );
}

export function Layout(props: { ctx: PageContext; title: string; children: Child }) {
  const { ctx } = props;
  return (
    <Document title={props.title} csrf={ctx.csrf}>
      <header class="top">
        <a class="brand" href="/admin">
          Tailor
        </a>
        {ctx.projects === undefined ? null : (
          <form method="get" action="/admin/go">
            <label for="project-picker">Project</label>
            <select id="project-picker" name="project" data-autosubmit>
              {ctx.projects.map((p) => (
                <option value={p.id} selected={p.id === ctx.project}>
                  {p.name === p.id ? p.id : `${p.name} (${p.id})`}
                </option>
              ))}
              <option value="">All projects, or a new one…</option>
            </select>
            <noscript>
              <button type="submit">Open</button>
            </noscript>
          </form>
        )}
        <span class="spacer"></span>
        <form method="post" action="/admin/sign-out">
          <input type="hidden" name="_csrf" value={ctx.csrf} />
          <button type="submit">Sign out</button>
        </form>
      </header>
      <div class="shell">
        {ctx.project === undefined ? null : (
          <nav class="side" aria-label="Sections">
            {NAV.map(([key, label]) => (
              <a href={projectPath(ctx.project!, `/${key}`)} aria-current={ctx.section === key ? "page" : undefined}>
                {label}
              </a>
            ))}
          </nav>
        )}
        <main>{props.children}</main>
      </div>
    </Document>
  );
}

/** A CSRF-protected form (POST). */
export function PostForm(props: {
  action: string;
  csrf: string;
  children: Child;
  class?: string;
  confirm?: string;
  enctype?: "multipart/form-data";
  /** The submit `mode` the client posts as the form is edited, to show its preview live (client.ts). */
  "data-live-preview"?: string | undefined;
}) {
  return (
    <form
      method="post"
      action={props.action}
      class={props.class}
      data-confirm={props.confirm}
      enctype={props.enctype}
      data-live-preview={props["data-live-preview"]}
    >
      <input type="hidden" name="_csrf" value={props.csrf} />
      {props.children}
    </form>
  );
}

export function Alert(props: { kind?: "good" | "warn"; children: Child }) {
  return (
    <div class={props.kind === undefined ? "alert" : `alert ${props.kind}`} role={props.kind === undefined ? "alert" : "status"}>
      {props.children}
    </div>
  );
}

export function fmt(n: unknown, digits = 3): string {
  if (typeof n !== "number" || !Number.isFinite(n)) return "–";
  return Number.isInteger(n) ? n.toLocaleString("en-US") : n.toFixed(digits);
}

export function when(ms: unknown): string {
  return typeof ms === "number" ? new Date(ms).toISOString().replace("T", " ").slice(0, 19) + " UTC" : "–";
}
