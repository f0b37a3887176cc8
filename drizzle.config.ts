import { defineConfig } from "drizzle-kit";

// drizzle-kit writes SQL migrations into migrations/, which wrangler applies
// (`wrangler d1 migrations apply`) and the workerd tests apply in their setup file.
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/db/schema/index.ts",
  out: "./migrations",
});
