import { applyEdit } from "../cohort-edit";
import { CohortTree } from "../cohort-editor";
import { cohortFromFields, cohortToFields } from "../cohort-form";
import { idsFromCsv } from "../csv";
import { SelectField } from "../fields";
import type { Fields } from "../forms";
import { Alert, fmt, projectPath } from "../layout";
import { formFields, formFile, projectPage } from "../page";
import type { KindUi } from "../definitions";
import { cohortExtras } from "./cohort-panels";
import { NameWarnings } from "../editor";
import type { SizeEstimate } from "../../../core/segments/preview";

/** A size preview in plain words: the exact count when every profile was read, else the 95 % interval and what it rests on. */
export function estimateWords(r: SizeEstimate): string {
  if (r.exact) return `Exactly ${fmt(r.estimate)} of ${fmt(r.profiles)} profiles would be in this cohort (every profile read, from its stored events).`;
  const range = r.low === r.high ? fmt(r.low) : `${fmt(r.low)}–${fmt(r.high)}`;
  const basis = `${fmt(r.matched)} of ${fmt(r.sampled)} sampled profiles match`;
  if (r.matched === 0)
    return `No sampled profile matches: between 0 and ${fmt(r.high)} of ${fmt(r.profiles)} profiles would be in this cohort (95 % interval; ${basis}). Check the event and property names.`;
  return `${range} of ${fmt(r.profiles)} profiles would be in this cohort (95 % interval; ${basis}, about ${fmt(r.estimate)}).`;
}

/** A behavioral cohort's fields always have a root node (a static cohort's may not). */
const withRoot = (fields: Fields): Fields =>
  fields["n.kind"] === undefined ? { ...fields, "n.kind": "group", "n.join": "all", "n.0.kind": "performed" } : fields;

export const cohortsUi: KindUi = {
  kind: "cohorts",
  title: "Cohorts",
  singular: "cohort",
  blurb: "Audiences kept current on every event and as time passes. Sizes update live.",
  template: { type: "behavioral", match: { all: [{ performed: { event: { type: "Product Added" }, window: { kind: "rolling", duration: { hours: 24 } } } }] } },
  needs: ["cohorts", "computations", "predictions", "catalog"],
  live: true,
  preview: {
    label: "Preview size",
    show: (result) => {
      const r = result as SizeEstimate & { warnings?: { path: string; message: string }[] };
      return (
        <div class="preview">
          <Alert kind={r.exact || r.matched > 0 ? "good" : "warn"}>
            <span id="size-preview" data-low={r.low} data-high={r.high} data-exact={r.exact ? "1" : "0"}>
              {estimateWords(r)} Not saved yet.
            </span>
          </Alert>
          <NameWarnings warnings={r.warnings} />
        </div>
      );
    },
  },
  columns: [
    { label: "Type", cell: (item) => <span class="badge">{String(item.definition.type)}</span> },
    {
      label: "Size",
      num: true,
      cell: (item) => (
        <span data-live-id={item.id} data-live-field="size">
          {fmt(item.size ?? 0)}
        </span>
      ),
    },
    {
      label: "7 days",
      num: true,
      cell: (item) => {
        const t = (item as { trend_7d?: { entered: number; exited: number } }).trend_7d;
        return t === undefined ? (
          "–"
        ) : (
          <span title="entered / exited in the last 7 days">
            +{fmt(t.entered)} / −{fmt(t.exited)}
          </span>
        );
      },
    },
  ],
  form: {
    toFields: (definition) => {
      const fields = cohortToFields(definition);
      return fields === null ? null : withRoot(fields);
    },
    blank: () => withRoot({ type: "behavioral" }),
    fromFields: cohortFromFields,
    edit: applyEdit,
    render: ({ fields, errors, refs, focus }) => (
      <div>
        <SelectField
          name="type"
          label="Cohort type"
          value={fields.type ?? "behavioral"}
          options={[
            ["behavioral", "behavioral (rules)"],
            ["static", "static (uploaded ids)"],
          ]}
          errors={errors}
          hint="A static cohort's members are uploaded; it ignores the rules below."
        />
        <CohortTree ctx={{ fields: withRoot(fields), errors, focus, vocabulary: refs.catalog }} refs={refs} />
      </div>
    ),
  },
  extras: cohortExtras,
  routes: (app) => {
    /** Static cohorts: members from an uploaded CSV or a pasted list, through the API. */
    app.post("/:id/members", async (c) => {
      const { api, project } = await projectPage(c, "cohorts");
      const f = await formFields(c);
      const idType = f.id_type === "device_id" ? "device_id" : "user_id";
      const text = (await formFile(c, "file")) ?? f.ids ?? "";
      const ids = idsFromCsv(text, idType);
      const base = `${projectPath(project, "/cohorts")}/${encodeURIComponent(c.req.param("id"))}`;
      if (ids.length === 0) return c.redirect(`${base}?upload_error=${encodeURIComponent("No ids found in the upload")}`, 303);
      const r = await api.send<{ applied: number; skipped_ids: string[]; error?: { message: string } }>(
        "POST",
        `/cohorts/${encodeURIComponent(c.req.param("id"))}/members`,
        {
          ids,
          id_type: idType,
          operation: f.operation === "remove" ? "remove" : "add",
        },
      );
      if (!r.ok) return c.redirect(`${base}?upload_error=${encodeURIComponent(r.json.error?.message ?? "Upload failed")}`, 303);
      return c.redirect(`${base}?applied=${r.json.applied}&skipped=${r.json.skipped_ids.length}`, 303);
    });
    /** A partial backfill's failed profiles, retried again through the API. */
    app.post("/:id/backfills/:backfill/resume", async (c) => {
      const { api, project } = await projectPage(c, "cohorts");
      const r = await api.send<{ error?: { message: string } }>("POST", `/backfills/${encodeURIComponent(c.req.param("backfill"))}/resume`);
      const base = `${projectPath(project, "/cohorts")}/${encodeURIComponent(c.req.param("id"))}`;
      return c.redirect(r.ok ? base : `${base}?backfill_error=${encodeURIComponent(r.json.error?.message ?? "Retry failed")}`, 303);
    });
  },
};
