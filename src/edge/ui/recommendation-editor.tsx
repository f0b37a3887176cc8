import type { Child } from "hono/jsx";
import { FILTER_OPS } from "../../core/segments/schema";
import { Box, EditButton, ErrorText, Pick, type Ctx } from "./cohort-inputs";
import { fieldId, TextArea, type Option } from "./fields";
import { GOAL_EVENT, ITEM_EVENT, WHERE } from "./recommendation-form";

/**
 * The recommendation form: the item event (with its filters) and property, the goal,
 * how many items, what is never shown (checkboxes, an item list, property filter rows),
 * the control group and the fallback. Filter rows are the cohort editor's inputs and
 * edit buttons, so adding or removing one needs no script.
 */
const FILTER_OPTIONS: Option[] = FILTER_OPS.map((op) => [op, op]);
const VALUE_HINT = "numbers, true/false, a,b,c for in; JSON for anything else";
const STRATEGIES: Option[] = [
  ["popular", "most popular items"],
  ["random", "random items"],
];
const FALLBACKS: Option[] = [
  ["popular", "most popular items"],
  ["none", "no items"],
];

/** Property filter rows `<prefix>.f.<i>` with their add and remove buttons; `what` names them for screen readers. */
function FilterRows(props: { ctx: Ctx; prefix: string; what: string; add: string }) {
  const { ctx, prefix } = props;
  let rows = 0;
  while (ctx.fields[`${prefix}.f.${rows}.op`] !== undefined) rows++;
  return (
    <>
      {Array.from({ length: rows }, (_, i) => {
        const row = `${prefix}.f.${i}`;
        return (
          <fieldset class="clause" id={fieldId(row)}>
            <legend>
              {props.what} filter {i + 1}
            </legend>
            <Box ctx={ctx} name={`${row}.property`} label="Property" />
            <Pick ctx={ctx} name={`${row}.op`} label="Op" options={FILTER_OPTIONS} />
            <Box ctx={ctx} name={`${row}.value`} label="Value" hint={VALUE_HINT} />
            <div class="field">
              <EditButton ctx={ctx} action={`remove ${row}`} label={`Remove ${props.what.toLowerCase()} filter ${i + 1}`} danger>
                Remove filter
              </EditButton>
            </div>
          </fieldset>
        );
      })}
      <div class="field">
        <EditButton ctx={ctx} action={`add-filter ${prefix}`} label={props.add}>
          {props.add}
        </EditButton>
        <ErrorText ctx={ctx} name={prefix} />
      </div>
    </>
  );
}

function Check(props: { ctx: Ctx; name: string; label: string }) {
  const { ctx, name } = props;
  const invalid = ctx.errors[name] !== undefined;
  return (
    <div class="field">
      <label for={fieldId(name)}>
        <input id={fieldId(name)} name={name} type="checkbox" value="true" checked={ctx.fields[name] === "true"} aria-invalid={invalid ? "true" : undefined} aria-describedby={invalid ? `${fieldId(name)}-error` : undefined} /> {props.label}
      </label>
      <ErrorText ctx={ctx} name={name} />
    </div>
  );
}

function Section(props: { legend: string; children: Child }) {
  return (
    <fieldset>
      <legend>{props.legend}</legend>
      {props.children}
    </fieldset>
  );
}

export function RecommendationForm(props: { ctx: Ctx }) {
  const { ctx } = props;
  return (
    <div>
      <Section legend="Items">
        <div class="clause">
          <Box ctx={ctx} name={`${ITEM_EVENT}.type`} label="Item event" placeholder="Product Viewed" hint="the event that names an item; * for any" />
          <Box ctx={ctx} name="item.property" label="Item property" placeholder="product_id" hint="the event property holding the item's id" />
        </div>
        <FilterRows ctx={ctx} prefix={ITEM_EVENT} what="Item event" add="Add an item event filter" />
      </Section>
      <Section legend="Goal: what the ranking favours">
        <div class="clause">
          <Box ctx={ctx} name={`${GOAL_EVENT}.type`} label="Goal event" placeholder="Product Purchased" hint="blank: the item event" />
        </div>
        <FilterRows ctx={ctx} prefix={GOAL_EVENT} what="Goal event" add="Add a goal event filter" />
      </Section>
      <div class="clause">
        <Box ctx={ctx} name="count" label="Count" type="number" hint="items per user, 1–100" />
      </div>
      <Section legend="Never show">
        <Check ctx={ctx} name="exclude.interacted" label="Items the user already had an item event with" />
        <Check ctx={ctx} name="exclude.converted" label="Items the user already reached the goal with" />
        <TextArea name="exclude.items" label="Excluded items" value={ctx.fields["exclude.items"]} errors={ctx.errors} rows={3} hint="item ids, separated by commas or new lines" />
        <p class="muted">Items whose last seen item-event properties fail any of these filters:</p>
        <FilterRows ctx={ctx} prefix={WHERE} what="Item property" add="Add an item property filter" />
      </Section>
      <Section legend="Control group">
        <div class="clause">
          <Box ctx={ctx} name="control.percent" label="Share of users (%)" type="number" hint="a stable share gets a baseline instead" />
          <Pick ctx={ctx} name="control.strategy" label="Baseline" options={STRATEGIES} />
        </div>
      </Section>
      <div class="clause">
        <Pick ctx={ctx} name="fallback" label="Users without item history get" options={FALLBACKS} />
      </div>
    </div>
  );
}
