import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

// Two projects: `unit` runs runtime-free modules (their tests laid out as src/ is:
// test/core, test/edge, test/train) and the end-to-end checks against the real local
// server (test/node) in plain Node; `workers` runs inside workerd with real D1, R2 and
// Durable Objects from wrangler.toml.
export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  return {
    test: {
      reporters: ["default", "./test/summary-reporter.ts"],
      projects: [
        {
          test: {
            name: "unit",
            include: ["test/*.test.ts", "test/{core,edge,train}/**/*.test.ts", "test/node/**/*.test.ts"],
            environment: "node",
            testTimeout: 60_000,
            hookTimeout: 120_000,
          },
        },
        {
          plugins: [
            cloudflareTest({
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                bindings: {
                  TEST_MIGRATIONS: migrations,
                  ADMIN_TOKEN: "test-admin-token",
                  CREDENTIALS_KEY: "dGFpbG9yLXRlc3QtY3JlZGVudGlhbHMta2V5LTMyYiE=",
                  ARCHIVE_FLUSH_SECONDS: "1",
                  BACKFILL_PAGE: "2",
                  DELETION_PAGE: "2",
                  SYNC_BACKOFF_MS: "1",
                  // Every admin API answer is held to its declared contract (api-contract.ts).
                  CHECK_RESPONSES: "1",
                },
                // A low read-API limit (per project) so the 429 path is reachable in a test.
                ratelimits: { PROFILE_RATE_LIMITER: { simple: { limit: 40, period: 60 } } },
              },
            }),
          ],
          test: {
            name: "workers",
            include: ["test/workers/**/*.test.ts"],
            setupFiles: ["./test/workers/apply-migrations.ts"],
          },
        },
      ],
    },
  };
});
