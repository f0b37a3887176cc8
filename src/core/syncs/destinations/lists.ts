import { sha256Hex } from "../../hash";
import type { Json } from "../../json";
import type { CohortWebhookMessage } from "../cohort-webhook";
import type { Destination } from "../schema";
import type { OutboundRequest } from "./requests";

/** A destination's id for a user (from the user id or one of its properties); null = not sendable. */
export type IdOf = (user: { user_id: string | null; device_id: string | null }) => string | null;

type ListDestination = Extract<Destination, { type: "hubspot" | "klaviyo" | "facebook" }>;

const LIMITS = { hubspot: 100_000, klaviyo: 1_000, facebook: 10_000 } as const;
const base = (d: { base_url: string }) => d.base_url.replace(/\/$/, "");

/**
 * List-membership destinations: each message becomes add (entries) or remove (exits)
 * calls in the destination's own shape, split at its per-request limit.
 * - HubSpot: PUT /crm/v3/lists/{list}/memberships/add|remove, a JSON array of record ids.
 * - Klaviyo: POST|DELETE /api/lists/{list}/relationships/profiles, `{data:[{type:"profile",id}]}`.
 * - Facebook: POST|DELETE /{version}/{audience}/users, `{payload:{schema:"EMAIL_SHA256",data}}`
 *   (ids are already normalised, hashed emails).
 */
export function listRequests(destination: ListDestination, messages: readonly CohortWebhookMessage[], idOf: IdOf): OutboundRequest[] {
  const out: OutboundRequest[] = [];
  for (const m of messages) {
    const ids = [...new Set(m.users.map(idOf).filter((id): id is string => id !== null))];
    const limit = LIMITS[destination.type];
    for (let i = 0; i < ids.length; i += limit) {
      const part = ids.slice(i, i + limit);
      const id = `${m.message_id}#${i / limit}`;
      out.push({ id, users: part.length, ...shape(destination, m.in_cohort, part) });
    }
  }
  return out;
}

function shape(d: ListDestination, add: boolean, ids: string[]): Omit<OutboundRequest, "id" | "users"> {
  switch (d.type) {
    case "hubspot":
      return {
        method: "PUT",
        url: `${base(d)}/crm/v3/lists/${encodeURIComponent(d.list_id)}/memberships/${add ? "add" : "remove"}`,
        body: JSON.stringify(ids),
        headers: async () => ({ "content-type": "application/json", authorization: `Bearer ${d.credentials.access_token}` }),
      };
    case "klaviyo":
      return {
        method: add ? "POST" : "DELETE",
        url: `${base(d)}/api/lists/${encodeURIComponent(d.list_id)}/relationships/profiles`,
        body: JSON.stringify({ data: ids.map((id) => ({ type: "profile", id })) }),
        headers: async () => ({
          "content-type": "application/vnd.api+json",
          accept: "application/vnd.api+json",
          revision: d.revision,
          authorization: `Klaviyo-API-Key ${d.credentials.api_key}`,
        }),
      };
    case "facebook":
      return {
        method: add ? "POST" : "DELETE",
        url: `${base(d)}/${d.api_version}/${encodeURIComponent(d.audience_id)}/users?access_token=${encodeURIComponent(d.credentials.access_token)}`,
        body: JSON.stringify({ payload: { schema: "EMAIL_SHA256", data: ids } }),
        headers: async () => ({ "content-type": "application/json" }),
      };
  }
}

/** Facebook's email normalisation before hashing: trimmed, lower case. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** The user property a destination names users by, or null when it names them by user id (`"user_id"` in a definition). */
export function idProperty(destination: Destination): string | null {
  const property =
    destination.type === "facebook"
      ? destination.email_property
      : destination.type === "hubspot" || destination.type === "klaviyo"
        ? destination.id_property
        : "user_id";
  return property === "user_id" ? null : property;
}

/** A profile's id at a destination that names users by a property (the email hashed, for Facebook), or null. */
export async function destinationIdOf(destination: Destination, userProperties: Readonly<Record<string, Json>>): Promise<string | null> {
  const property = idProperty(destination);
  const value = property === null ? undefined : userProperties[property];
  if (typeof value !== "string" && typeof value !== "number") return null;
  return destination.type === "facebook" ? sha256Hex(normaliseEmail(String(value))) : String(value);
}
