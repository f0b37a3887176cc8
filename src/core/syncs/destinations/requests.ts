import type { CohortWebhookMessage } from "../cohort-webhook";
import type { Destination } from "../schema";
import { signWebhook } from "../standard-webhooks";
import type { PropertyWebhookMessage } from "../property-diff";
import { brazeAttributeRequests, brazeRequests } from "./braze";
import { listRequests, type IdOf } from "./lists";

/**
 * One HTTP request a sync sends. Headers are built per attempt (signatures carry a
 * timestamp); `id` is stable for the same change-log range, so retries are idempotent.
 */
export interface OutboundRequest {
  id: string;
  method: "POST" | "PUT" | "DELETE";
  url: string;
  body: string;
  users: number;
  headers(now: number): Promise<Record<string, string>>;
}

/** A JSON message to a webhook, signed per Standard Webhooks with its message id. */
export function webhookRequest(destination: Extract<Destination, { type: "webhook" }>, m: { message_id: string; users: readonly unknown[] }): OutboundRequest {
  const body = JSON.stringify(m);
  const secret = destination.credentials?.signing_secret;
  return {
    id: m.message_id,
    method: "POST",
    url: destination.url,
    body,
    users: m.users.length,
    headers: async (now) => ({
      "content-type": "application/json",
      ...(secret === undefined ? { "webhook-id": m.message_id } : await signWebhook(secret, m.message_id, Math.floor(now / 1000), body)),
    }),
  };
}

/** The requests that deliver property changes: the message itself to a webhook, attributes to Braze. */
export function propertyRequests(destination: Destination, m: PropertyWebhookMessage): OutboundRequest[] {
  switch (destination.type) {
    case "webhook":
      return [webhookRequest(destination, m)];
    case "braze":
      return brazeAttributeRequests(
        destination,
        m.message_id,
        m.users.filter((u) => u.user_id !== null).map((u) => ({ external_id: u.user_id!, ...u.properties })),
      );
    default:
      throw new Error(`${destination.type} destinations take cohort syncs only`);
  }
}

/** The requests that deliver these messages (one per message, or split per the destination's limits). */
export function requestsFor(destination: Destination, messages: readonly CohortWebhookMessage[], idOf: IdOf = (u) => u.user_id): OutboundRequest[] {
  switch (destination.type) {
    case "webhook":
      return messages.map((m) => webhookRequest(destination, m));
    case "braze":
      return brazeRequests(destination, messages);
    case "hubspot":
    case "klaviyo":
    case "facebook":
      return listRequests(destination, messages, idOf);
    case "r2_export":
      return []; // written by the runner, not sent
  }
}
