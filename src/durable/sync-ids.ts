import { parseProfileKey, profileKey } from "../core/event";
import { sha256Hex } from "../core/hash";
import type { CohortWebhookMessage } from "../core/syncs/cohort-webhook";
import type { IdOf } from "../core/syncs/destinations/lists";
import { normaliseEmail } from "../core/syncs/destinations/lists";
import type { Destination } from "../core/syncs/schema";
import { profileStub } from "./stub";

const CONCURRENCY = 32;

/**
 * How a destination names each user of these messages: the user id, or a property read
 * from the profile (a HubSpot record id, a Klaviyo profile id, a hashed email).
 */
export async function idsFor(env: Pick<Env, "USER_PROFILE">, projectId: string, destination: Destination, messages: readonly CohortWebhookMessage[]): Promise<IdOf> {
  const keyOf = (u: { user_id: string | null; device_id: string | null }) =>
    profileKey(u.user_id !== null ? { kind: "user", id: u.user_id } : { kind: "device", id: u.device_id! });
  const property =
    destination.type === "facebook" ? destination.email_property : destination.type === "hubspot" || destination.type === "klaviyo" ? destination.id_property : "user_id";
  if (property === "user_id") return (u) => u.user_id;

  const keys = [...new Set(messages.flatMap((m) => m.users.map(keyOf)))];
  const ids = new Map<string, string | null>();
  for (let i = 0; i < keys.length; i += CONCURRENCY) {
    await Promise.all(
      keys.slice(i, i + CONCURRENCY).map(async (key) => {
        const profile = await profileStub(env, projectId, parseProfileKey(key)).getProfile();
        const value = profile?.user_properties[property];
        if (typeof value !== "string" && typeof value !== "number") return ids.set(key, null);
        ids.set(key, destination.type === "facebook" ? await sha256Hex(normaliseEmail(String(value))) : String(value));
      }),
    );
  }
  return (u) => ids.get(keyOf(u)) ?? null;
}
