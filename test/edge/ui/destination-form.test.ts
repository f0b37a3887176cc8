import { describe, expect, it } from "vitest";
import { destinationSchema } from "../../../src/core/syncs/schema";
import { REDACTED } from "../../../src/core/syncs/credentials";
import { destinationFromFields, destinationToFields, STORED } from "../../../src/edge/ui/destination-form";

describe("destination form", () => {
  it("builds each type from its own boxes only (a switch of type leaves the other's behind)", () => {
    const built = destinationFromFields({
      "d.type": "klaviyo",
      "d.url": "https://left.behind/hook",
      "d.list_id": "XyZ",
      "d.id_property": "",
      "d.credentials.api_key": "pk_live",
      "d.base_url": "",
    });
    expect(built.definition).toEqual({ type: "klaviyo", list_id: "XyZ", credentials: { api_key: "pk_live" } });
    expect(destinationSchema.safeParse(built.definition).success).toBe(true);
  });

  it("shows a stored destination with its credential box empty, and keeps the credential when the box stays empty", () => {
    const stored = { type: "hubspot", list_id: "42", id_property: "hubspot_id", credentials: { access_token: REDACTED } };
    const fields = destinationToFields(stored)!;
    expect(fields["d.credentials.access_token"]).toBe("");
    expect(fields[STORED]).toBe("hubspot");
    expect(destinationFromFields({ ...fields, "d.list_id": "43" }).definition).toEqual({
      type: "hubspot",
      list_id: "43",
      id_property: "hubspot_id",
      credentials: { access_token: REDACTED },
    });
    // A typed token replaces it; another type has nothing stored to keep.
    expect(destinationFromFields({ ...fields, "d.credentials.access_token": "new" }).definition.credentials).toEqual({ access_token: "new" });
    expect(destinationFromFields({ ...fields, "d.type": "facebook", "d.audience_id": "1" }).definition.credentials).toBeUndefined();
  });

  it("a new destination without its credential is reported next to the credential's box", () => {
    const built = destinationFromFields({ "d.type": "braze", "d.base_url": "https://rest.iad-01.braze.com", "d.credentials.api_key": "" });
    expect(built.definition.credentials).toBeUndefined();
    expect(built.paths).toContainEqual(["credentials", "d.credentials.api_key"]);
  });

  it("an unknown type has no form", () => {
    expect(destinationToFields({ type: "carrier-pigeon" })).toBeNull();
    expect(destinationToFields({ type: "r2_export", format: "csv" })).toEqual({ "d.type": "r2_export", "d.format": "csv" });
  });
});
