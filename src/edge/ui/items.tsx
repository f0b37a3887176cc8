import type { ItemDetail } from "../../core/recommendations/item-label";

/** An item as the admin UI shows it: its name (when its events carry one) beside its id. */
export function ItemName(props: { id: string; label?: string | null | undefined }) {
  return (
    <span class="item">
      <code>{props.id}</code>
      {props.label ? <span class="item-label"> {props.label}</span> : null}
    </span>
  );
}

/** A recommendation's list, in order, each item named from `details` (the admin API's `item_details`). */
export function ItemList(props: { ids: readonly string[]; details?: readonly ItemDetail[] | undefined; ordered?: boolean }) {
  const labels = new Map((props.details ?? []).map((d) => [d.id, d.label]));
  const items = props.ids.map((id) => (
    <li>
      <ItemName id={id} label={labels.get(id)} />
    </li>
  ));
  return props.ordered === false ? <ul class="items">{items}</ul> : <ol class="items">{items}</ol>;
}
