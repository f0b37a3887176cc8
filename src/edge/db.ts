import { drizzle } from "drizzle-orm/d1";
import * as schema from "../db/schema";

/** One drizzle client per D1 binding: building it walks the whole schema, so hot paths reuse it. */
const clients = new WeakMap<D1Database, ReturnType<typeof build>>();

function build(binding: D1Database) {
  return drizzle(binding, { schema });
}

export function db(env: Pick<Env, "DB">) {
  let client = clients.get(env.DB);
  if (client === undefined) {
    client = build(env.DB);
    clients.set(env.DB, client);
  }
  return client;
}
export type Db = ReturnType<typeof db>;
