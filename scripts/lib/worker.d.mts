export function freePort(): Promise<number>;
export interface LocalWorker {
  url: string;
  /** The pid of the server's top process (scripts/serve.mjs, with workerd under it). */
  pid: number;
  adminToken: string;
  /** CREDENTIALS_KEY: the key destination credentials are sealed under. */
  credentialsKey: string;
  persistTo: string;
  createProject(id: string): Promise<{ api_key: string; secret_key: string }>;
  /** One admin API call with the worker's token; any status is returned, not thrown. */
  admin<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }>;
  stop(): Promise<void>;
  /** SIGKILL of the server and workerd (the process group; needs `crashable`): a crash, state left as it was. */
  kill(): Promise<void>;
}
export function startLocalWorker(options?: {
  vars?: Record<string, string>;
  quiet?: boolean;
  persistTo?: string;
  keepState?: boolean;
  adminToken?: string;
  credentialsKey?: string;
  crashable?: boolean;
}): Promise<LocalWorker>;
