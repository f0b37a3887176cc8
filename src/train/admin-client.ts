import type { ArchiveSource, ArchiveSpan } from "./archive-reader";
import { read, write } from "./http";

/** The Worker's admin API as the trainer uses it (local state or a deployed Worker alike). */
export type AdminCall = <T>(method: string, path: string, body?: unknown) => Promise<T>;

export function adminClient(src: ArchiveSource): AdminCall {
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const url = `${src.url}/admin/api${path}`;
    const headers: Record<string, string> = { authorization: `Bearer ${src.adminToken}`, ...(body ? { "content-type": "application/json" } : {}) };
    const res = method === "GET" ? await read(url, headers) : await write(url, method, headers, body ? JSON.stringify(body) : undefined);
    if (res.status < 200 || res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.text}`);
    return JSON.parse(res.text) as T;
  };
}

/** A stored definition as the admin API lists it. */
export type DefinitionRow = { id: string; name: string; definition: unknown };

/** A model version as `POST /admin/api/models` answers it. */
export type PublishedModel = { id: string; version: number; owner_kind: "prediction" | "recommendation"; owner_id: string };

/** Publishes a model version (bytes and metadata) and makes it the active one. */
export async function publishModel(api: AdminCall, span: ArchiveSpan, kind: "prediction" | "recommendation", ownerId: string, bytes: Uint8Array, metadata: Record<string, unknown>): Promise<PublishedModel> {
  const published = await api<PublishedModel>("POST", `/models?${span.q}`, {
    owner_kind: kind,
    owner_id: ownerId,
    model: Buffer.from(bytes).toString("base64"),
    metadata,
    activate: true,
  });
  console.log(`  published model ${published.id} (version ${published.version}, ${(bytes.length / 1e6).toFixed(2)} MB) and activated it`);
  return published;
}
