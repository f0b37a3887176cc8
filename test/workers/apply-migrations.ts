import { applyD1Migrations, env } from "cloudflare:test";

// Each test file starts from an empty D1 with the project's migrations applied.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
