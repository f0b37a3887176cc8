import type { Child } from "hono/jsx";
import type { Hono } from "hono";
import type { TrainingJobView } from "../../core/training-jobs";
import type { ServedView } from "../served-quality-store";
import type { ApiResult } from "./api";
import type { UiEnv } from "./auth";
import { errorDetails } from "./forms";
import { fmt, PostForm, projectPath, when } from "./layout";
import { projectPage } from "./page";

/** A published model version as `/admin/api/models` lists it. */
export interface ModelRow<M = unknown> {
  id: string;
  version: number;
  active: boolean;
  created_at: number;
  metrics: M;
  /** Quality on what users were served by this version and did next (null until a user was served). */
  served?: ServedView | null;
}

/**
 * What the served-quality numbers rest on, in plain words: how many users' windows have
 * resolved and when the next ones will (a window lasts the horizon after a user's answer).
 */
export function ServedNote(props: { served: ServedView | null | undefined; horizon: string }) {
  const s = props.served;
  if (s === null || s === undefined)
    return (
      <p class="muted" id="served-note">
        Served quality: no user has been served by this version yet.
      </p>
    );
  const next = s.next_resolution_at === null ? "" : ` The next results are due ${when(s.next_resolution_at)}.`;
  return (
    <p class="muted" id="served-note">
      Served quality: what users were given by this version and then did in the {props.horizon} after. {fmt(s.resolved)}{" "}
      {s.resolved === 1 ? "answer has" : "answers have"} resolved, {fmt(s.open)} {s.open === 1 ? "is" : "are"} still inside {s.open === 1 ? "its" : "their"}{" "}
      {props.horizon}.{next}
    </p>
  );
}

/**
 * The versions of a prediction's or recommendation's model: when each was trained, the
 * kind's own columns, which is active, and a button to activate (or roll back to) another.
 */
export function ModelVersions<M>(props: {
  models: ModelRow<M>[];
  base: string;
  csrf: string;
  columns: { label: string; cell: (m: ModelRow<M>) => Child }[];
  version?: (m: ModelRow<M>) => Child;
}) {
  const active = props.models.find((m) => m.active);
  return (
    <table id="models">
      <thead>
        <tr>
          <th>Version</th>
          <th>Trained</th>
          {props.columns.map((c) => (
            <th class="num">{c.label}</th>
          ))}
          <th>State</th>
          <th></th>
        </tr>
      </thead>
      <tbody>
        {props.models.map((m) => (
          <tr>
            <td>{props.version ? props.version(m) : `v${m.version}`}</td>
            <td class="muted nowrap">{when(m.created_at)}</td>
            {props.columns.map((c) => (
              <td class="num">{c.cell(m)}</td>
            ))}
            <td>{m.active ? <span class="badge good">active</span> : <span class="badge">inactive</span>}</td>
            <td>
              {m.active ? null : (
                <PostForm action={`${props.base}/models/${m.id}/activate`} csrf={props.csrf}>
                  <button type="submit" class="secondary">
                    {active !== undefined && m.version < active.version ? "Roll back to this" : "Activate"}
                  </button>
                </PostForm>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

type ModelKind = "predictions" | "recommendations";

/**
 * A definition's model routes: `POST /:id/models/:model/activate` makes a version the
 * active one; `POST /:id/train` queues a training. Both go back to the detail page.
 */
export function modelRoutes(kind: ModelKind) {
  /** Back to the definition's page: `success` (a query and fragment) when the API said ok, its error otherwise. */
  const back = <T,>(project: string, id: string, r: ApiResult<T>, success: (json: T) => string) => {
    const base = `${projectPath(project, `/${kind}`)}/${encodeURIComponent(id)}`;
    return r.ok ? `${base}${success(r.json)}` : `${base}?error=${encodeURIComponent(errorDetails(r.json).message)}`;
  };
  return (app: Hono<UiEnv>) => {
    app.post("/:id/models/:model/activate", async (c) => {
      const { api, project } = await projectPage(c, kind);
      const model = c.req.param("model");
      const r = await api.send("POST", `/models/${encodeURIComponent(model)}/activate`);
      return c.redirect(
        back(project, c.req.param("id"), r, () => `?model=${encodeURIComponent(model)}&activated=1`),
        303,
      );
    });
    app.post("/:id/train", async (c) => {
      const { api, project } = await projectPage(c, kind);
      const r = await api.send<TrainingJobView>("POST", `/${kind}/${encodeURIComponent(c.req.param("id"))}/train`);
      return c.redirect(
        back(project, c.req.param("id"), r, (job) => `?training=${job.status}#training`),
        303,
      );
    });
  };
}
