import { Hono } from "hono";
import type { Child } from "hono/jsx";
import type { ApiClient } from "./api";
import { must } from "./api";
import type { UiEnv } from "./auth";
import type { Edited } from "./cohort-edit";
import type { Vocabulary } from "./cohort-inputs";
import type { FieldErrors } from "./fields";
import { errorDetails, fieldErrors, type Built, type Fields } from "./forms";
import { Alert, Layout, PostForm, projectPath, when, type PageContext } from "./layout";
import { formFields, projectPage, redirectShowingOnce, takeShownOnce, type Item, type UiContext } from "./page";
import { Editor, NameWarnings, stateFor, type EditorState } from "./editor";

/** Other definitions a form may offer in its selects. */
export type RefKind = "cohorts" | "computations" | "destinations" | "predictions";
export type Refs = Partial<Record<RefKind, Item[]>> & { catalog?: Vocabulary };

export interface StructuredForm {
  /** Fields for a stored definition; null when only the JSON editor can show it. */
  toFields(definition: unknown): Fields | null;
  fromFields(fields: Fields): Built;
  render(props: { fields: Fields; errors: FieldErrors; refs: Refs; focus?: string | undefined }): Child;
  /** Fields of a new definition (default: those of the template). */
  blank?(): Fields;
  /**
   * Structural edits without script: buttons post `mode=edit:<action>` and the form is
   * re-rendered with the edited fields (`focus`: the field to focus). `edit:refresh`
   * re-renders as is (after a select that changes which fields there are).
   */
  edit?(fields: Fields, action: string): Edited;
}

export interface DetailArgs {
  c: UiContext;
  api: ApiClient;
  project: string;
  apiBase: string;
  item: Item;
  ctx: PageContext;
}

/**
 * One kind of definition in the UI: a list and an editor (a structured form for the
 * common shapes when there is one, and always the JSON definition), driven by the admin
 * API resource of the same name. A new kind is a config object.
 */
export interface KindUi {
  /** The admin API resource (`/admin/api/<kind>`) and the URL segment. */
  kind: string;
  title: string;
  singular: string;
  blurb?: Child;
  /** Where the JSON editor starts for a new one. */
  template: Record<string, unknown>;
  columns?: { label: string; num?: boolean; cell: (item: Item, refs: Refs) => Child }[];
  /** What the list's cells refer to (a sync's cohort and destination, by name). */
  listNeeds?: RefKind[];
  form?: StructuredForm;
  needs?: (RefKind | "catalog")[];
  /** Extra panels on the detail page (above the editor). */
  extras?: (args: DetailArgs) => Promise<Child>;
  /** Extra routes under `/p/:project/<kind>`. */
  routes?: (app: Hono<UiEnv>) => void;
  /** The list page refreshes these fields (`data-live-field`) from the API. */
  live?: boolean;
  /** The editor offers a preview (`POST /admin/api/<kind>/preview` with the unsaved definition), shown by this. */
  preview?: { label: string; show: (result: unknown) => Child };
}

async function loadRefs(api: ApiClient, needs: (RefKind | "catalog")[] = []): Promise<Refs> {
  const refs: Refs = {};
  await Promise.all(
    needs.map(async (kind) => {
      if (kind === "catalog") {
        const r = await api.get<Vocabulary>("/catalog");
        if (r.ok) refs.catalog = r.json;
        return;
      }
      const r = await api.get<Record<string, Item[]>>(`/${kind}`);
      refs[kind] = r.ok ? (r.json[kind] ?? []) : [];
    }),
  );
  return refs;
}

function ListPage(props: { ui: KindUi; ctx: PageContext; items: Item[]; apiBase: string; project: string; unavailable?: string; refs?: Refs }) {
  const { ui, ctx, items, project, apiBase } = props;
  const refs = props.refs ?? {};
  const base = projectPath(project, `/${ui.kind}`);
  return (
    <Layout ctx={ctx} title={ui.title}>
      <div class="between">
        <h1>{ui.title}</h1>
        {props.unavailable === undefined ? (
          <a class="button" href={`${base}/new`}>
            New {ui.singular}
          </a>
        ) : null}
      </div>
      {ui.blurb === undefined ? null : <p class="muted">{ui.blurb}</p>}
      {props.unavailable !== undefined ? (
        <Alert kind="warn">{props.unavailable}</Alert>
      ) : items.length === 0 ? (
        <div class="panel muted">No {ui.title.toLowerCase()} yet.</div>
      ) : (
        <table data-live-url={ui.live ? `${apiBase}/${ui.kind}` : undefined} data-live-list={ui.live ? ui.kind : undefined}>
          <thead>
            <tr>
              <th>Name</th>
              {(ui.columns ?? []).map((col) => (
                <th class={col.num ? "num" : undefined}>{col.label}</th>
              ))}
              <th>Status</th>
              <th>Updated</th>
            </tr>
          </thead>
          <tbody>
            {items.map((item) => (
              <tr>
                <td>
                  <a href={`${base}/${item.id}`}>{item.name}</a>
                  <div class="muted">
                    <code>{item.id}</code>
                  </div>
                </td>
                {(ui.columns ?? []).map((col) => (
                  <td class={col.num ? "num" : undefined}>{col.cell(item, refs)}</td>
                ))}
                <td>
                  <span class={item.status === "active" ? "badge good" : "badge"}>{item.status}</span>
                </td>
                <td class="muted nowrap">{when(item.updated_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Layout>
  );
}

/** List, create, edit and delete pages for one kind of definition. */
export function definitionPages(ui: KindUi): Hono<UiEnv> {
  const app = new Hono<UiEnv>();
  ui.routes?.(app);

  app.get("/", async (c) => {
    const { api, ctx, project, apiBase } = await projectPage(c, ui.kind);
    const r = await api.get<Record<string, Item[]>>(`/${ui.kind}`);
    if (r.status === 404) {
      return c.html(
        <ListPage
          ui={ui}
          ctx={ctx}
          items={[]}
          apiBase={apiBase}
          project={project}
          unavailable={`This Tailor has no ${ui.kind} API yet: ${ui.title.toLowerCase()} are not available.`}
        />,
      );
    }
    const [items, refs] = await Promise.all([must(Promise.resolve(r)), loadRefs(api, ui.listNeeds)]);
    return c.html(<ListPage ui={ui} ctx={ctx} items={items[ui.kind] ?? []} apiBase={apiBase} project={project} refs={refs} />);
  });

  const render = async (c: UiContext, state: EditorState, status: 200 | 400 | 404 | 409 = 200, notice?: Child) => {
    const { api, ctx, project, apiBase } = await projectPage(c, ui.kind);
    const refs = await loadRefs(api, ui.needs);
    const base = projectPath(project, `/${ui.kind}`);
    const item = state.item;
    const extras = item !== undefined && ui.extras ? await ui.extras({ c, api, project, apiBase, item, ctx }) : null;
    return c.html(
      <Layout ctx={ctx} title={item?.name ?? `New ${ui.singular}`}>
        <p class="muted">
          <a href={base}>{ui.title}</a> /
        </p>
        <div class="between">
          <h1>{item?.name ?? `New ${ui.singular}`}</h1>
          {item === undefined ? null : (
            <span class="row">
              <code>{item.id}</code>
              <span class="badge" title="Definition revision">
                rev {item.version}
              </span>
              <span class={item.status === "active" ? "badge good" : "badge"}>{item.status}</span>
            </span>
          )}
        </div>
        {notice}
        {c.req.query("saved") !== undefined && status === 200 && notice === undefined ? <Alert kind="good">Saved.</Alert> : null}
        <NameWarnings warnings={item?.warnings} />
        {extras}
        {item === undefined ? null : <h2>Edit</h2>}
        <Editor ui={ui} state={state} action={item === undefined ? `${base}/new` : `${base}/${item.id}`} csrf={ctx.csrf} refs={refs} />
        {item === undefined ? null : (
          <PostForm action={`${base}/${item.id}/delete`} csrf={ctx.csrf} confirm={`Delete ${item.name}?`}>
            <button type="submit" class="danger">
              Delete {ui.singular}
            </button>
          </PostForm>
        )}
      </Layout>,
      status,
    );
  };

  const load = async (c: UiContext) => {
    const { api } = await projectPage(c, ui.kind);
    return must(api.get<Item>(`/${ui.kind}/${encodeURIComponent(c.req.param("id") ?? "")}`));
  };

  // A link may fill in form fields (`?d.what.cohort_id=coh_…`: "Sync this cohort").
  app.get("/new", async (c) => {
    const state = stateFor(ui);
    const given = Object.entries(c.req.query()).filter(([k]) => k.startsWith("d."));
    return render(c, state.fields === null || given.length === 0 ? state : { ...state, fields: { ...state.fields, ...Object.fromEntries(given) } });
  });
  app.get("/:id", async (c) => {
    const secret = (await takeShownOnce(c))?.signing_secret;
    const notice =
      secret === undefined ? undefined : (
        <Alert kind="good">
          Created. Signing secret (shown only now): <span class="key">{secret}</span>
        </Alert>
      );
    return render(c, stateFor(ui, await load(c)), 200, notice);
  });

  const save = async (c: UiContext, item?: Item) => {
    const f = await formFields(c);
    const previewing = ui.preview !== undefined && (f.mode === "preview_form" || f.mode === "preview_json");
    const jsonMode = f.mode === "json" || f.mode === "preview_json" || f.mode === "json_to_form";
    const state: EditorState = {
      ...stateFor(ui, item),
      name: f.name ?? "",
      description: f.description ?? "",
      status: f.status ?? "active",
      json: f.definition_json ?? "",
      mode: jsonMode ? "json" : "form",
    };
    if (ui.form && !jsonMode)
      state.fields = Object.fromEntries(Object.entries(f).filter(([k]) => !["_csrf", "name", "description", "status", "definition_json", "mode"].includes(k)));
    if (f.mode?.startsWith("edit:") && ui.form?.edit && state.fields) {
      const edited = ui.form.edit(state.fields, f.mode.slice("edit:".length));
      // The JSON view follows the form.
      return render(c, { ...state, ...edited, json: JSON.stringify(ui.form.fromFields(edited.fields).definition, null, 2) });
    }
    let built: Built;
    if (state.mode === "json" || !ui.form || state.fields === null) {
      state.mode = "json";
      try {
        const parsed = JSON.parse(state.json) as unknown;
        if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not an object");
        built = { definition: parsed as Record<string, unknown>, paths: [] }; // redacted credentials are kept by the API
      } catch (err) {
        return render(c, { ...state, errors: { definition_json: `Not a JSON object: ${(err as Error).message}` } }, 400);
      }
      if (f.mode === "json_to_form" && ui.form) {
        const fields = ui.form.toFields(built.definition);
        if (fields === null)
          return render(c, { ...state, errors: { definition_json: "The form cannot show this definition: save it to see the API's messages" } }, 400);
        return render(c, { ...state, fields, mode: "form" });
      }
    } else {
      built = ui.form.fromFields(state.fields);
      state.json = JSON.stringify(built.definition, null, 2);
      if (built.problems !== undefined && Object.keys(built.problems).length > 0) return render(c, { ...state, errors: built.problems }, 400);
    }
    const { api, project } = await projectPage(c, ui.kind);
    if (previewing) {
      // Nothing is saved: the unsaved definition goes to the API's preview, the editor stays as it is.
      const p = await api.send("POST", `/${ui.kind}/preview`, { definition: built.definition });
      if (!p.ok)
        return render(
          c,
          { ...state, errors: fieldErrors(p.json, state.mode === "form" ? built.paths : [], state.mode === "form" ? "_form" : "definition_json") },
          400,
        );
      return render(c, state, 200, ui.preview!.show(p.json));
    }
    const body = { name: state.name, description: state.description, definition: built.definition, ...(item === undefined ? {} : { status: state.status }) };
    const r =
      item === undefined
        ? await api.send<Item & { signing_secret?: string }>("POST", `/${ui.kind}`, body)
        : await api.send<Item>("PUT", `/${ui.kind}/${item.id}`, body);
    if (!r.ok) {
      const errors = fieldErrors(r.json, state.mode === "form" ? built.paths : [], state.mode === "form" ? "_form" : "definition_json");
      return render(c, { ...state, errors }, r.status === 409 ? 409 : r.status === 404 ? 404 : 400);
    }
    const saved = r.json as Item & { signing_secret?: string };
    const at = `${projectPath(project, `/${ui.kind}`)}/${saved.id}?saved=1`;
    // Redirect-after-post; a webhook's signing secret (never returned again) is shown once there.
    return saved.signing_secret === undefined ? c.redirect(at, 303) : redirectShowingOnce(c, at, { signing_secret: saved.signing_secret });
  };

  app.post("/new", (c) => save(c));
  app.post("/:id", async (c) => save(c, await load(c)));

  app.post("/:id/delete", async (c) => {
    const { api, project } = await projectPage(c, ui.kind);
    const r = await api.send("DELETE", `/${ui.kind}/${encodeURIComponent(c.req.param("id"))}`);
    if (!r.ok) {
      const item = await load(c);
      return render(c, { ...stateFor(ui, item), errors: { _envelope: `Not deleted: ${errorDetails(r.json).message}` } }, 400);
    }
    return c.redirect(projectPath(project, `/${ui.kind}`), 303);
  });

  return app;
}
