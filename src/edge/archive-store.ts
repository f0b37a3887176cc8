import { archivePrefix } from "../core/archive";
import { syncExportPrefix } from "../core/syncs/export-file";
import { AppError } from "./errors";

/**
 * What a project keeps in R2 that the admin API hands out: its event archive (the
 * trainer reads it through the Worker) and the files its R2-export syncs wrote. A key
 * outside the project's (or the sync's) prefix is refused, never read.
 */
const LIST_PAGE = 1000;

export async function listArchive(
  env: Pick<Env, "ARCHIVE">,
  projectId: string,
  { prefix, cursor }: { prefix?: string | undefined; cursor?: string | undefined },
) {
  const root = archivePrefix(projectId);
  const listed = await env.ARCHIVE.list({ prefix: `${root}${prefix ?? ""}`, cursor, limit: LIST_PAGE });
  return { objects: listed.objects.map((o) => ({ key: o.key, size: o.size })), cursor: listed.truncated ? listed.cursor : null };
}

async function readUnder(env: Pick<Env, "ARCHIVE">, root: string, key: string, outside: string): Promise<R2ObjectBody> {
  if (!key.startsWith(root)) throw new AppError(400, "invalid_request", `key is not ${outside}`, [{ field: "key", message: `must start with ${root}` }]);
  const object = await env.ARCHIVE.get(key);
  if (object === null) throw new AppError(404, "not_found", `No object ${key}`);
  return object;
}

export const readArchiveObject = (env: Pick<Env, "ARCHIVE">, projectId: string, key: string) =>
  readUnder(env, archivePrefix(projectId), key, "in this project's archive");

export async function listSyncExports(env: Pick<Env, "ARCHIVE">, projectId: string, syncId: string) {
  const listed = await env.ARCHIVE.list({ prefix: syncExportPrefix(projectId, syncId) });
  return listed.objects.map((o) => ({ key: o.key, size: o.size }));
}

export const readSyncExport = (env: Pick<Env, "ARCHIVE">, projectId: string, syncId: string, key: string) =>
  readUnder(env, syncExportPrefix(projectId, syncId), key, "one of this sync's exports");
