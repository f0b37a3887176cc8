/**
 * Writes docs/openapi.json, the admin API's OpenAPI 3.1 document, from the contracts its
 * routes declare (the Worker serves the same at /admin/api/openapi.json). CI fails when
 * the committed file is stale: run `npm run openapi` after changing a route's contract.
 */
import { writeFileSync } from "node:fs";
import { adminOpenApi } from "../src/edge/routes/admin";

export const OPENAPI_FILE = new URL("../docs/openapi.json", import.meta.url);

writeFileSync(OPENAPI_FILE, `${JSON.stringify(adminOpenApi(), null, 2)}\n`);
console.log(`wrote ${OPENAPI_FILE.pathname}`);
