/**
 * The user Durable Object's SQLite schema, as an ordered list of migrations. Each DO
 * brings itself up to date once, before its first request, and records the version.
 */
/**
 * Few indexes on purpose: every commit rewrites each page it touches, so an event
 * append touches just the events, dedupe and state pages. Pruning (rare) scans.
 * `seq` comes from the profile state (never reused, so archive keys stay unique);
 * `imported` marks events that moved in from a linked device (the device archived them).
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE state (id INTEGER PRIMARY KEY CHECK (id = 1), body TEXT NOT NULL);
  CREATE TABLE events (
    seq INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL,
    insert_id TEXT,
    event_type TEXT NOT NULL,
    time INTEGER NOT NULL,
    body TEXT NOT NULL,
    imported INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE dedupe (insert_id TEXT PRIMARY KEY, expires_at INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE devices (device_id TEXT PRIMARY KEY, linked_at INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE due_work (kind TEXT PRIMARY KEY, due_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
  `,
  // Segmentation: one row per stream state, and membership changes waiting for D1.
  `
  CREATE TABLE segment_streams (key TEXT PRIMARY KEY, body TEXT NOT NULL) WITHOUT ROWID;
  CREATE TABLE membership_outbox (seq INTEGER PRIMARY KEY, cohort_id TEXT NOT NULL, member INTEGER NOT NULL, at INTEGER NOT NULL);
  `,
  // The R2 objects holding this profile's history (archived-history.ts), by event hour.
  `
  CREATE TABLE archive_objects (key TEXT PRIMARY KEY, hour TEXT NOT NULL) WITHOUT ROWID;
  `,
  // What the profile was served and what it did next, until D1 has it (served-windows.ts).
  `
  CREATE TABLE served_windows (window_key TEXT PRIMARY KEY, body TEXT NOT NULL, written INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
  `,
  // The state row's layout version (profile-state.ts upgrades older rows as it reads them).
  `
  ALTER TABLE state ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
  `,
  // The erasure tombstone (profile-erasure.ts). An object erased before this migration holds
  // only this table, without schema_version: it keeps its row when the object is next written.
  `
  CREATE TABLE IF NOT EXISTS erasure (id INTEGER PRIMARY KEY CHECK (id = 1), erased_at INTEGER NOT NULL);
  `,
];

export const CURRENT_SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the schema up to date, then runs `andThen` in the same transaction. */
export function ensureSchema(storage: DurableObjectStorage, andThen?: (sql: SqlStorage) => void): void {
  storage.transactionSync(() => {
    migrate(storage.sql);
    andThen?.(storage.sql);
  });
}

function migrate(sql: SqlStorage): void {
  sql.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
  const row = sql.exec<{ version: number }>("SELECT version FROM schema_version").toArray()[0];
  const from = row?.version ?? 0;
  if (from >= CURRENT_SCHEMA_VERSION) return;
  for (let v = from; v < CURRENT_SCHEMA_VERSION; v++) sql.exec(MIGRATIONS[v]!);
  sql.exec("DELETE FROM schema_version");
  sql.exec("INSERT INTO schema_version (version) VALUES (?)", CURRENT_SCHEMA_VERSION);
}
