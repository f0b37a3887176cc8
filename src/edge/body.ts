/**
 * Reads a request body as UTF-8 text with a size cap that applies after gzip is
 * undone (Amplitude counts limits on the decompressed payload). Never buffers more
 * than the cap, so a 10 MB body costs at most `maxBytes` of memory.
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

  const stream = encoding === "gzip" ? request.body.pipeThrough(new DecompressionStream("gzip")) : request.body;
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
    if (encoding === "gzip") return { ok: false, reason: "bad_gzip", message: "Request body is not valid gzip" };
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

function tooLarge(maxBytes: number): BodyResult {
  return { ok: false, reason: "too_large", message: `Request body exceeds ${maxBytes} bytes` };
}
