/**
 * Reads a request body as UTF-8 text with a size cap that applies after gzip is
 * undone (Amplitude counts limits on the decompressed payload). Never buffers more
 * than the cap, so a 10 MB body costs at most `maxBytes` of memory. A body that starts
 * with gzip's magic bytes is gzip whatever the headers say, as PostHog's own capture
 * judges it (posthog-js posts gzip as text/plain with no hint); no valid UTF-8 text
 * starts with those bytes, so nothing readable is misjudged.
 */
export type BodyResult =
  | { ok: true; text: string; bytes: number }
  | { ok: false; reason: "too_large" | "bad_encoding" | "bad_gzip" | "bad_utf8"; message: string };

export async function readBody(request: Request, maxBytes: number, options: { gzip?: boolean } = {}): Promise<BodyResult> {
  const header = (request.headers.get("content-encoding") ?? "identity").trim().toLowerCase();
  if (header !== "identity" && header !== "gzip" && header !== "") {
    return { ok: false, reason: "bad_encoding", message: `Unsupported Content-Encoding: ${header} (use gzip or none)` };
  }
  // `gzip` says the body is gzip whatever the header (PostHog's `?compression=gzip-js`).
  const encoding = options.gzip === true ? "gzip" : header;
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (encoding !== "gzip" && declared > maxBytes) return tooLarge(maxBytes);
  if (request.body === null) return { ok: true, text: "", bytes: 0 };

  // Sniffed from the first bytes only when nothing said gzip already: plain bodies (nearly
  // all) are then read straight from their own reader, with no tee and no re-streaming.
  const raw = request.body.getReader();
  const head = encoding === "gzip" ? [] : await firstBytes(raw, 2);
  const gzip = encoding === "gzip" || (head[0]?.[0] === 0x1f && (head[0].byteLength > 1 ? head[0][1] : head[1]?.[0]) === 0x8b);
  const reader = gzip ? replay(raw, head).pipeThrough(new DecompressionStream("gzip")).getReader() : raw;
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  try {
    const pending = gzip ? [] : [...head];
    const next = async () => (pending.length > 0 ? { done: false as const, value: pending.shift()! } : reader.read());
    for (let chunk = await next(); !chunk.done; chunk = await next()) {
      const value = chunk.value;
      bytes += value.byteLength;
      if (bytes > maxBytes) {
        await reader.cancel().catch(() => {});
        return tooLarge(maxBytes);
      }
      chunks.push(value);
    }
  } catch (err) {
    if (gzip) return { ok: false, reason: "bad_gzip", message: "Request body is not valid gzip" };
    throw err;
  }
  const joined = chunks.length === 1 ? chunks[0]! : new Uint8Array(bytes);
  if (chunks.length > 1) {
    let offset = 0;
    for (const chunk of chunks) {
      joined.set(chunk, offset);
      offset += chunk.byteLength;
    }
  }
  try {
    return { ok: true, text: new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(joined), bytes };
  } catch {
    return { ok: false, reason: "bad_utf8", message: "Request body is not valid UTF-8" };
  }
}

/** The body's first chunks, until they hold `n` bytes or the body ends. */
async function firstBytes(reader: ReadableStreamDefaultReader<Uint8Array>, n: number): Promise<Uint8Array[]> {
  const head: Uint8Array[] = [];
  for (let have = 0; have < n; ) {
    const { done, value } = await reader.read();
    if (done) break;
    head.push(value);
    have += value.byteLength;
  }
  return head;
}

/** The rest of `reader` as a stream, after the chunks already read from it. */
function replay(reader: ReadableStreamDefaultReader<Uint8Array>, head: Uint8Array[]): ReadableStream<Uint8Array> {
  const pending = [...head];
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (pending.length > 0) return controller.enqueue(pending.shift()!);
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

function tooLarge(maxBytes: number): BodyResult {
  return { ok: false, reason: "too_large", message: `Request body exceeds ${maxBytes} bytes` };
}
