export function freePort(): Promise<number>;
export interface LocalWorker {
  url: string;
  adminToken: string;
  persistTo: string;
  createProject(id: string): Promise<{ api_key: string; secret_key: string }>;
  stop(): Promise<void>;
}
export function startLocalWorker(options?: { vars?: Record<string, string>; quiet?: boolean }): Promise<LocalWorker>;
