import type { ArchiveSource } from "./archive-reader";

/** The Worker's admin API as the trainer uses it (local state or a deployed Worker alike). */
export type AdminCall = <T>(method: string, path: string, body?: unknown) => Promise<T>;

export function adminClient(src: ArchiveSource): AdminCall {
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${src.url}/admin/api${path}`, {
      method,
      headers: { authorization: `Bearer ${src.adminToken}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
}

/** A stored definition as the admin API lists it. */
export type DefinitionRow = { id: string; name: string; definition: unknown };
