import { createApp } from "../app";

export const health = createApp();

health.get("/health", (c) => c.json({ ok: true }));
