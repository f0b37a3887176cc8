import { COMPARATORS } from "../../core/segments/schema";
import { childCount } from "./cohort-edit";
import { NODE_KINDS, ROOT } from "./cohort-form";
import { Box, EditButton, ErrorText, FILTER_OPTIONS, FilterRows, Negate, Pick, propertyOptions, VALUE_HINT, type Ctx } from "./cohort-inputs";
import type { Refs } from "./definitions";
import { fieldId, type Option } from "./fields";

/**
 * The cohort editor: the definition's expression as nested fieldsets, one per node
 * (groups with all/any, clauses with their kind's fields), every part of the language
 * shown. Structure changes are submit buttons; nothing here needs script.
 */
const COMPARATOR_OPTIONS: Option[] = COMPARATORS.map((op) => [op, op]);
const WINDOW_OPTIONS: Option[] = [
  ["all", "all time"],
  ["rolling", "in the last …"],
  ["since", "since a date"],
  ["between", "between dates"],
  ["since_last", "since the last event …"],
];
const MEASURES: Option[] = [
  ["count", "number of times"],
  ["sum", "sum of a property"],
  ["distinct", "distinct values of a property"],
];
const DATE_HINT = "2024-01-31, an ISO time, or epoch ms";

/** "1.2" for node n.0.1. */
const nodeNumber = (node: string) =>
  node
    .split(".")
    .slice(1)
    .map((i) => Number(i) + 1)
    .join(".");

function EventSpec(props: { ctx: Ctx; prefix: string; legend: string }) {
  const { ctx, prefix, legend } = props;
  return (
    <fieldset>
      <legend>{legend}</legend>
      <div class="clause">
        <Box
          ctx={ctx}
          name={`${prefix}.type`}
          label="Event type"
          placeholder="Product Added"
          hint="* for any event"
          options={ctx.vocabulary?.events.map((e) => e.name)}
        />
      </div>
      <FilterRows
        ctx={ctx}
        prefix={prefix}
        eventType={ctx.fields[`${prefix}.type`]}
        legend={(i) => `Where (filter ${i})`}
        removeLabel={(i) => `Remove filter ${i} of ${legend}`}
        addLabel={`Add a property filter to ${legend}`}
        addText="Add a property filter"
      />
    </fieldset>
  );
}

function Duration(props: { ctx: Ctx; prefix: string; legend: string }) {
  const { ctx, prefix } = props;
  return (
    <fieldset>
      <legend>{props.legend}</legend>
      <div class="clause">
        <Box ctx={ctx} name={`${prefix}.days`} label="Days" type="number" describedBy={prefix} />
        <Box ctx={ctx} name={`${prefix}.hours`} label="Hours" type="number" describedBy={prefix} />
        <Box ctx={ctx} name={`${prefix}.minutes`} label="Minutes" type="number" describedBy={prefix} />
      </div>
      <ErrorText ctx={ctx} name={prefix} />
    </fieldset>
  );
}

function Window(props: { ctx: Ctx; prefix: string }) {
  const { ctx, prefix } = props;
  const kind = ctx.fields[`${prefix}.kind`] ?? "all";
  return (
    <>
      <div class="clause">
        <Pick ctx={ctx} name={`${prefix}.kind`} label="When" options={WINDOW_OPTIONS} refresh />
        {kind === "since" || kind === "between" ? <Box ctx={ctx} name={`${prefix}.from`} label="From" hint={DATE_HINT} /> : null}
        {kind === "between" ? <Box ctx={ctx} name={`${prefix}.to`} label="To (inclusive)" hint={DATE_HINT} /> : null}
      </div>
      {kind === "rolling" ? <Duration ctx={ctx} prefix={`${prefix}.duration`} legend="In the last" /> : null}
      {kind === "since_last" ? <EventSpec ctx={ctx} prefix={`${prefix}.event`} legend="Since the last event" /> : null}
    </>
  );
}

const choose = (items: Refs["cohorts"]): Option[] => [["", "(choose)"], ...(items ?? []).map((x): Option => [x.id, x.name])];

/** The simple fields of a clause (in the node's grid) and its composite parts (below it). */
function clauseParts(ctx: Ctx, refs: Refs, node: string, kind: string) {
  const n = (field: string) => `${node}.${field}`;
  switch (kind) {
    case "performed": {
      const measure = ctx.fields[n("measure")] ?? "count";
      return {
        simple: (
          <>
            <Pick ctx={ctx} name={n("measure")} label="Measure" options={MEASURES} refresh />
            {measure === "count" ? null : <Box ctx={ctx} name={n("measure_property")} label="Of property" />}
            <Pick ctx={ctx} name={n("op")} label="Is" options={COMPARATOR_OPTIONS} />
            <Box ctx={ctx} name={n("value")} label={measure === "count" ? "Times" : "Value"} type="number" fallback="1" />
          </>
        ),
        parts: (
          <>
            <EventSpec ctx={ctx} prefix={n("event")} legend="Event" />
            <Window ctx={ctx} prefix={n("window")} />
          </>
        ),
      };
    }
    case "sequence":
      return {
        simple: null,
        parts: (
          <>
            <EventSpec ctx={ctx} prefix={n("step0")} legend="First event" />
            <EventSpec ctx={ctx} prefix={n("step1")} legend="Then event" />
            <Duration ctx={ctx} prefix={n("within")} legend="Then event within" />
            <Window ctx={ctx} prefix={n("window")} />
          </>
        ),
      };
    case "user_property":
    case "computation": {
      const userProps = propertyOptions(ctx.vocabulary?.user_properties, ctx.fields[n("property")]);
      return {
        simple: (
          <>
            {kind === "computation" ? (
              <Pick ctx={ctx} name={n("id")} label="Computed property" options={choose(refs.computations)} />
            ) : (
              <Box ctx={ctx} name={n("property")} label="Property" options={userProps.names} />
            )}
            <Pick ctx={ctx} name={n("op")} label="Op" options={FILTER_OPTIONS} />
            <Box ctx={ctx} name={n("value")} label="Value" hint={VALUE_HINT} options={kind === "user_property" ? userProps.values : undefined} />
          </>
        ),
        parts: null,
      };
    }
    case "cohort":
      return { simple: <Pick ctx={ctx} name={n("id")} label="Cohort" options={choose(refs.cohorts)} />, parts: null };
    default: {
      const mode = ctx.fields[n("mode")] ?? "compare";
      return {
        simple: (
          <>
            <Pick ctx={ctx} name={n("id")} label="Prediction" options={choose(refs.predictions)} />
            <Pick
              ctx={ctx}
              name={n("mode")}
              label="Test"
              options={[
                ["compare", "compare score or percentile"],
                ["top_percent", "in the top %"],
                ["bottom_percent", "in the bottom %"],
              ]}
              refresh
            />
            {mode === "compare" ? (
              <>
                <Pick
                  ctx={ctx}
                  name={n("on")}
                  label="On"
                  options={[
                    ["pct", "percentile (0–100)"],
                    ["score", "score (0–1)"],
                  ]}
                />
                <Pick ctx={ctx} name={n("op")} label="Op" options={["gte", "gt", "lte", "lt"].map((o): Option => [o, o])} />
                <Box ctx={ctx} name={n("value")} label="Value" type="number" />
              </>
            ) : (
              <Box ctx={ctx} name={n("percent")} label="Percent" type="number" />
            )}
          </>
        ),
        parts: null,
      };
    }
  }
}

function Node(props: { ctx: Ctx; refs: Refs; node: string }) {
  const { ctx, refs, node } = props;
  const kind = ctx.fields[`${node}.kind`] ?? "group";
  const title = node === ROOT ? "Users who match" : `${kind === "group" ? "Group" : "Condition"} ${nodeNumber(node)}`;
  const clause = kind === "group" ? null : clauseParts(ctx, refs, node, kind);
  const adds = (
    <div class="row field">
      <EditButton ctx={ctx} action={`add-condition ${node}`} label={`Add condition to ${title}`}>
        Add condition
      </EditButton>
      <EditButton ctx={ctx} action={`add-group ${node}`} label={`Add group to ${title}`}>
        Add group
      </EditButton>
    </div>
  );
  return (
    <fieldset id={fieldId(node)} data-node={node}>
      <legend>{title}</legend>
      <div class="clause">
        <Pick ctx={ctx} name={`${node}.kind`} label="Kind" options={NODE_KINDS} fallback="group" refresh />
        <Negate ctx={ctx} name={`${node}.not`} />
        {kind === "group" ? (
          <Pick
            ctx={ctx}
            name={`${node}.join`}
            label="Match"
            options={[
              ["all", "all of these"],
              ["any", "any of these"],
            ]}
          />
        ) : (
          clause?.simple
        )}
      </div>
      {clause?.parts}
      {kind === "group" ? Array.from({ length: childCount(ctx.fields, node) }, (_, i) => <Node ctx={ctx} refs={refs} node={`${node}.${i}`} />) : null}
      {kind === "group" || node === ROOT ? adds : null}
      {node === ROOT ? null : (
        <div class="field">
          <EditButton ctx={ctx} action={`remove ${node}`} label={`Remove ${title.toLowerCase()}`} danger>
            Remove
          </EditButton>
        </div>
      )}
    </fieldset>
  );
}

export function CohortTree(props: { ctx: Ctx; refs: Refs }) {
  return <Node ctx={props.ctx} refs={props.refs} node={ROOT} />;
}
