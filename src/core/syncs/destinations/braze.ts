import type { CohortWebhookMessage } from "../cohort-webhook";
import type { Destination } from "../schema";
import type { OutboundRequest } from "./requests";

/** Braze takes at most 75 attribute objects per /users/track request. */
export const BRAZE_MAX_ATTRIBUTES = 75;

/**
 * Braze `/users/track`: one boolean custom attribute per cohort on each user, set on
 * entry and cleared on exit. Braze knows users by `external_id`, so device-only profiles
 * are not sent.
 */
export function brazeRequests(destination: Extract<Destination, { type: "braze" }>, messages: readonly CohortWebhookMessage[]): OutboundRequest[] {
  const out: OutboundRequest[] = [];
  for (const m of messages) {
    const ids = m.users.map((u) => u.user_id).filter((id): id is string => id !== null);
    const attribute = destination.attribute ?? `cohort_${m.cohort_id}`;
    for (let i = 0; i < ids.length; i += BRAZE_MAX_ATTRIBUTES) {
      const part = ids.slice(i, i + BRAZE_MAX_ATTRIBUTES);
      out.push({
        id: `${m.message_id}#${i / BRAZE_MAX_ATTRIBUTES}`,
        method: "POST",
        url: `${destination.base_url.replace(/\/$/, "")}/users/track`,
        body: JSON.stringify({ attributes: part.map((external_id) => ({ external_id, [attribute]: m.in_cohort })) }),
        users: part.length,
        headers: async () => ({ "content-type": "application/json", authorization: `Bearer ${destination.credentials.api_key}` }),
      });
    }
  }
  return out;
}
