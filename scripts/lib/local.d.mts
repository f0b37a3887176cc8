export const ROOT: string;
export const LOCAL_JSON: string;
export const OFFLINE_ENV: Record<string, string>;
export interface LocalJson {
  project: string;
  api_key: string;
  secret_key: string;
  admin_token: string;
  url: string;
}
export function ensureDevVars(): string;
export function readDevVars(): Record<string, string>;
export function newCredentialsKey(): string;
export const LOCAL_VARS: Record<string, string>;
export function varArgs(vars: Record<string, string>): string[];
export function readLocal(): LocalJson | undefined;
export function writeLocal(value: unknown): void;
export function option(argv: string[], name: string, fallback?: string): string | undefined;
export function adminCall<T = Record<string, unknown>>(
  url: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
  expected?: number[] | null,
): Promise<{ status: number; json: T }>;
export function trainer(
  args: string[],
  options?: { stdio?: import("node:child_process").StdioOptions; env?: Record<string, string> },
): { child: import("node:child_process").ChildProcess; exited: Promise<number> };
export function server(
  args: string[],
  options?: { stdio?: import("node:child_process").StdioOptions; env?: Record<string, string>; detached?: boolean },
): { child: import("node:child_process").ChildProcess; exited: Promise<number> };
export function waitForHealth(url: string, timeoutMs?: number): Promise<void>;
export function ensureProject(url: string, token: string, project: string): Promise<{ api_key: string; secret_key: string }>;
