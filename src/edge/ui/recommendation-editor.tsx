import type { Child } from "hono/jsx";
import { Box, Check, FilterRows, Pick, type Ctx } from "./cohort-inputs";
import { TextArea, type Option } from "./fields";
import { GOAL_EVENT, ITEM_EVENT, WHERE } from "./recommendation-form";

/**
 * The recommendation form: the item event (with its filters) and property, the goal,
 * how many items, what is never shown (checkboxes, an item list, property filter rows),
 * the control group and the fallback. Filter rows are the cohort editor's inputs and
 * edit buttons, so adding or removing one needs no script.
 */
const STRATEGIES: Option[] = [
  ["popular", "most popular items"],
  ["random", "random items"],
];
const FALLBACKS: Option[] = [
  ["popular", "most popular items"],
  ["none", "no items"],
];

/** Property filter rows `<prefix>.f.<i>` with their add and remove buttons; `what` names them for screen readers. */
function SpecFilters(props: { ctx: Ctx; prefix: string; what: string; add: string }) {
  const { what, add } = props;
  return (
    <FilterRows
      ctx={props.ctx}
      prefix={props.prefix}
      legend={(i) => `${what} filter ${i}`}
      removeLabel={(i) => `Remove ${what.toLowerCase()} filter ${i}`}
      addLabel={add}
      addText={add}
      showError
    />
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
        <SpecFilters ctx={ctx} prefix={ITEM_EVENT} what="Item event" add="Add an item event filter" />
      </Section>
      <Section legend="Goal: what the ranking favours">
        <div class="clause">
          <Box ctx={ctx} name={`${GOAL_EVENT}.type`} label="Goal event" placeholder="Product Purchased" hint="blank: the item event" />
        </div>
        <SpecFilters ctx={ctx} prefix={GOAL_EVENT} what="Goal event" add="Add a goal event filter" />
      </Section>
      <div class="clause">
        <Box ctx={ctx} name="count" label="Count" type="number" hint="items per user, 1–100" />
      </div>
      <Section legend="Never show">
        <Check ctx={ctx} name="exclude.interacted" label="Items the user already had an item event with" />
        <Check ctx={ctx} name="exclude.converted" label="Items the user already reached the goal with" />
        <TextArea
          name="exclude.items"
          label="Excluded items"
          value={ctx.fields["exclude.items"]}
          errors={ctx.errors}
          rows={3}
          hint="item ids, separated by commas or new lines"
        />
        <p class="muted">Items whose last seen item-event properties fail any of these filters:</p>
        <SpecFilters ctx={ctx} prefix={WHERE} what="Item property" add="Add an item property filter" />
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
