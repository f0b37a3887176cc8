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

  // Sniffed only when nothing said gzip already.
  const { source, gzipped: gzip } = encoding === "gzip" ? { source: request.body, gzipped: true } : await sniffGzip(request.body);
  const stream = gzip ? source.pipeThrough(new DecompressionStream("gzip")) : source;
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
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
  const joined = new Uint8Array(bytes);
  let offset = 0;
  for (const chunk of chunks) {
    joined.set(chunk, offset);
    offset += chunk.byteLength;
  }
  try {
    return { ok: true, text: new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(joined), bytes };
  } catch {
    return { ok: false, reason: "bad_utf8", message: "Request body is not valid UTF-8" };
  }
}

/**
 * Peeks at the body's first two bytes (gzip's magic is 1f 8b) on one branch of a tee and
 * hands back the other, untouched: the runtime's own streams, piped natively.
 */
async function sniffGzip(body: ReadableStream<Uint8Array>): Promise<{ source: ReadableStream<Uint8Array>; gzipped: boolean }> {
  const [peek, source] = body.tee();
  const reader = peek.getReader();
  const head: number[] = [];
  while (head.length < 2) {
    const { done, value } = await reader.read();
    if (done) break;
    head.push(...value.subarray(0, 2 - head.length));
  }
  // Not awaited: a tee branch's cancel settles only once the other branch is done too.
  reader.cancel().catch(() => {});
  return { source, gzipped: head[0] === 0x1f && head[1] === 0x8b };
}

function tooLarge(maxBytes: number): BodyResult {
  return { ok: false, reason: "too_large", message: `Request body exceeds ${maxBytes} bytes` };
}
