import { CLIENT_MODULE, CLIENT_SCRIPT } from "../client/tailor-client";
import { createApp } from "../app";

/** The personalization client for pages (client/tailor-client.ts): a script and an ES module, cacheable, from any origin. */
export const clientRoutes = createApp();

const serve = (body: string) => () =>
  new Response(body, {
    headers: { "content-type": "text/javascript; charset=utf-8", "cache-control": "public, max-age=300", "access-control-allow-origin": "*" },
  });

clientRoutes.get("/v1/tailor.js", serve(CLIENT_SCRIPT));
clientRoutes.get("/v1/tailor.mjs", serve(CLIENT_MODULE));
