import { randomKey } from "../core/hash";
import { openCredentials } from "../core/syncs/credentials";
import { testRequest, testVerdict } from "../core/syncs/destinations/test-request";
import { destinationSchema } from "../core/syncs/schema";

export interface DestinationTestResult {
  ok: boolean;
  status: number | null;
  detail: string;
}

/** A test waits this long at most: the admin is waiting on the answer. */
const TEST_TIMEOUT_MS = 10_000;

/**
 * "Send a test": one harmless request to the destination with its stored settings and
 * credentials (opened here only, as a sync run does), answered in one line. R2 files are
 * tested by writing and removing a marker object.
 */
export async function testDestination(
  env: Pick<Env, "ARCHIVE" | "CREDENTIALS_KEY">,
  projectId: string,
  row: { id: string; definition: Record<string, unknown> },
): Promise<DestinationTestResult> {
  const destination = destinationSchema.parse(await openCredentials(row.definition, env.CREDENTIALS_KEY, row.id));
  const messageId = `msg_test_${randomKey(8)}`;
  const started = performance.now();
  const request = await testRequest(destination, messageId, Date.now());
  if (request === null) {
    const key = `exports/${projectId}/tests/${row.id}-${messageId}`;
    await env.ARCHIVE.put(key, "tailor test");
    await env.ARCHIVE.delete(key);
    return { ok: true, status: null, detail: `wrote and removed a test file in the archive bucket in ${Math.round(performance.now() - started)} ms` };
  }
  try {
    const res = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal: AbortSignal.timeout(TEST_TIMEOUT_MS),
    });
    return testVerdict(request, { status: res.status, body: await res.text() }, performance.now() - started);
  } catch (err) {
    return testVerdict(request, { error: String(err) }, performance.now() - started);
  }
}
