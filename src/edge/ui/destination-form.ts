import { REDACTED } from "../../core/syncs/credentials";
import type { Destination } from "../../core/syncs/schema";
import { definitionFromPaths, fieldsFromPaths, type Built, type Fields } from "./forms";

export type DestinationType = Destination["type"];

/** One box of a destination's form: its definition path under `d.`, and what to show. */
export interface DestinationField {
  name: string;
  label: string;
  placeholder?: string;
  hint?: string;
  /** A write-only credential: a password box, left empty to keep the stored one. */
  secret?: boolean;
  type?: "url";
}

const baseUrl = (placeholder: string, hint?: string): DestinationField => ({
  name: "d.base_url",
  label: "API base URL",
  placeholder,
  type: "url",
  ...(hint === undefined ? {} : { hint }),
});

const secret = (name: string, label: string): DestinationField => ({ name, label, secret: true });

/** A list destination's list and the user property naming users there. */
const listFields = (listPlaceholder: string, idMeaning: string, idPlaceholder: string): DestinationField[] => [
  { name: "d.list_id", label: "List id", placeholder: listPlaceholder },
  { name: "d.id_property", label: `User property with ${idMeaning}`, placeholder: idPlaceholder, hint: "user_id: the user id itself" },
];

/** What each destination type asks for, in the order a marketer fills it in; the schema (core/syncs/schema) decides validity. */
export const DESTINATION_TYPES: Record<DestinationType, { label: string; fields: DestinationField[] }> = {
  webhook: {
    label: "Webhook (signed)",
    fields: [{ name: "d.url", label: "Webhook URL", placeholder: "https://example.com/hook", type: "url" }],
  },
  braze: {
    label: "Braze",
    fields: [
      baseUrl("https://rest.iad-01.braze.com", "your instance's REST endpoint"),
      { name: "d.attribute", label: "Custom attribute", placeholder: "cohort_<cohort id>", hint: "true while in the cohort, false after leaving" },
      { ...secret("d.credentials.api_key", "REST API key"), hint: "needs users.track" },
    ],
  },
  hubspot: {
    label: "HubSpot list",
    fields: [
      ...listFields("123", "the HubSpot record id", "hubspot_id"),
      secret("d.credentials.access_token", "Private app access token"),
      baseUrl("https://api.hubapi.com"),
    ],
  },
  klaviyo: {
    label: "Klaviyo list",
    fields: [
      ...listFields("XyZ123", "the Klaviyo profile id", "klaviyo_id"),
      secret("d.credentials.api_key", "Private API key"),
      { name: "d.revision", label: "API revision", placeholder: "2024-10-15" },
      baseUrl("https://a.klaviyo.com"),
    ],
  },
  facebook: {
    label: "Facebook custom audience",
    fields: [
      { name: "d.audience_id", label: "Custom audience id", placeholder: "2384…" },
      { name: "d.email_property", label: "User property with the e-mail", placeholder: "email", hint: "normalised and SHA-256 hashed before sending" },
      secret("d.credentials.access_token", "Access token"),
      { name: "d.api_version", label: "Graph API version", placeholder: "v21.0" },
      baseUrl("https://graph.facebook.com"),
    ],
  },
  r2_export: { label: "Files in R2", fields: [] },
};

/** A hidden field: the type of the destination being edited when it has stored credentials (an empty box keeps them). */
export const STORED = "credentials_stored";

const isType = (type: unknown): type is DestinationType => typeof type === "string" && Object.hasOwn(DESTINATION_TYPES, type);

/** The form's fields for a stored destination (credentials empty: they are write-only); null for an unknown type. */
export function destinationToFields(definition: unknown): Fields | null {
  const type = (definition as { type?: unknown } | null)?.type;
  if (!isType(type)) return null;
  const names = ["d.type", ...DESTINATION_TYPES[type].fields.map((f) => f.name), ...(type === "r2_export" ? ["d.format"] : [])];
  const fields = fieldsFromPaths(definition, names);
  for (const f of DESTINATION_TYPES[type].fields) if (f.secret) fields[f.name] = "";
  if ((definition as { credentials?: unknown }).credentials !== undefined) fields[STORED] = type;
  return fields;
}

/**
 * A destination from the form: only the chosen type's fields (a type switch leaves the
 * other's boxes behind), and credentials only when typed — an empty box keeps the stored one.
 */
export function destinationFromFields(fields: Fields): Built {
  const type = fields["d.type"] ?? "";
  const own = isType(type) ? DESTINATION_TYPES[type].fields : [];
  const kept: Fields = { "d.type": type };
  for (const f of own) {
    const value = fields[f.name] ?? "";
    if (f.secret && (value.trim() === "" || value === REDACTED)) {
      // The API keeps a stored credential sent back as its marker (a new destination, or one of another type, has none to keep).
      if (fields[STORED] === type) kept[f.name] = REDACTED;
      continue;
    }
    kept[f.name] = value;
  }
  if (type === "r2_export") kept["d.format"] = fields["d.format"] ?? "ndjson";
  const built = definitionFromPaths(kept);
  // A missing credential is reported at `credentials`: shown next to its box.
  for (const f of own) if (f.secret) built.paths.push(["credentials", f.name]);
  return built;
}
