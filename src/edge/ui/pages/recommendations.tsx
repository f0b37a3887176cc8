import type { KindUi } from "../definitions";

/**
 * Recommendations: the generic list and JSON editor over `/admin/api/recommendations`.
 * Until that API exists the list says so (its 404 reads as "not available").
 */
export const recommendationsUi: KindUi = {
  kind: "recommendations",
  title: "Recommendations",
  singular: "recommendation",
  blurb: "Item recommendations per user, trained like predictions and served with the profile.",
  template: {},
};
