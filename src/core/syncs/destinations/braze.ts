import type { Json } from "../../json";
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
  return messages.flatMap((m) => {
    const attribute = destination.attribute ?? `cohort_${m.cohort_id}`;
    const ids = m.users.map((u) => u.user_id).filter((id): id is string => id !== null);
    return brazeAttributeRequests(
      destination,
      m.message_id,
      ids.map((external_id) => ({ external_id, [attribute]: m.in_cohort })),
    );
  });
}

/** Attribute objects (`external_id` plus attributes) in `/users/track` requests of at most 75. */
export function brazeAttributeRequests(
  destination: Extract<Destination, { type: "braze" }>,
  messageId: string,
  attributes: readonly ({ external_id: string } & Record<string, Json>)[],
): OutboundRequest[] {
  const out: OutboundRequest[] = [];
  for (let i = 0; i < attributes.length; i += BRAZE_MAX_ATTRIBUTES) {
    const part = attributes.slice(i, i + BRAZE_MAX_ATTRIBUTES);
    out.push({
      id: `${messageId}#${i / BRAZE_MAX_ATTRIBUTES}`,
      method: "POST",
      url: `${destination.base_url.replace(/\/$/, "")}/users/track`,
      body: JSON.stringify({ attributes: part }),
      users: part.length,
      headers: async () => ({ "content-type": "application/json", authorization: `Bearer ${destination.credentials.api_key}` }),
    });
  }
  return out;
}
