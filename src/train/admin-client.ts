import type { TrainingKind } from "../core/training-jobs";
// Types only: archive-reader imports adminText from here.
import type { ArchiveSource } from "./archive-reader";
import { projectApiPath } from "../core/project";
import { read, write } from "./http";

/** The Worker's admin API as the trainer uses it (local state or a deployed Worker alike). */
export type AdminCall = <T>(method: string, path: string, body?: unknown) => Promise<T>;

/** Where the admin API is and how to get in: no project (calls name theirs in the path, and the job queue is across projects). */
export type AdminTarget = Pick<ArchiveSource, "url" | "adminToken">;

/** One admin API call, the answer's text: GETs are reads (sent again after meeting a closed connection), anything else a write (sent once). */
export async function adminText(src: AdminTarget, method: string, path: string, body?: unknown): Promise<string> {
  const url = `${src.url}/admin/api${path}`;
  const headers: Record<string, string> = { authorization: `Bearer ${src.adminToken}`, ...(body ? { "content-type": "application/json" } : {}) };
  const res = method === "GET" ? await read(url, headers) : await write(url, method, headers, body ? JSON.stringify(body) : undefined);
  if (res.status < 200 || res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.text}`);
  return res.text;
}

export function adminClient(src: AdminTarget): AdminCall {
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => JSON.parse(await adminText(src, method, path, body)) as T;
}

/** The admin API of `src`'s project: paths are relative to `/admin/api/projects/:project`. */
export function projectClient(src: ArchiveSource): AdminCall {
  const api = adminClient(src);
  return <T>(method: string, path: string, body?: unknown) => api<T>(method, projectApiPath(src.project, path), body);
}

/** A stored definition as the admin API lists it. */
export type DefinitionRow = { id: string; name: string; definition: unknown };

/** A model version as `POST /admin/api/projects/:project/models` answers it. */
export type PublishedModel = { id: string; version: number; owner_kind: TrainingKind; owner_id: string };

/** Publishes a model version (bytes and metadata) and makes it the active one. */
export async function publishModel(
  api: AdminCall,
  kind: TrainingKind,
  ownerId: string,
  bytes: Uint8Array,
  metadata: Record<string, unknown>,
): Promise<PublishedModel> {
  const published = await api<PublishedModel>("POST", "/models", {
    owner_kind: kind,
    owner_id: ownerId,
    model: Buffer.from(bytes).toString("base64"),
    metadata,
    activate: true,
  });
  console.log(`  published model ${published.id} (version ${published.version}, ${(bytes.length / 1e6).toFixed(2)} MB) and activated it`);
  return published;
}
