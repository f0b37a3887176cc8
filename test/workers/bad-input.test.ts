import { env, runDurableObjectAlarm } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { archivePrefix } from "../../src/core/archive";
import { profileObjectName } from "../../src/core/event";
import { call, createProject, profile, user, type TestProject } from "./helpers";

// A generator of malformed payloads for every ingestion endpoint (Amplitude, Segment /
// RudderStack, PostHog). Every one must be a 4xx with a JSON body that says what is
// wrong — never a 5xx — and nothing of a refused request may be stored anywhere: not in
// the profile, not in the R2 archive, not in the users registry in D1.
let project: TestProject;
beforeAll(async () => {
  project = await createProject("bad-input");
});

type Message = Record<string, unknown>;
interface Endpoint {
  path: string;
  maxBytes: number;
  maxMessages: number;
  /** A valid message for `userId`. */
  good(userId: string): Message;
  /** The request body around `messages`, with the key. */
  wrap(messages: Message[], key: string): Message;
  headers?: Record<string, string>;
  /** Invalid values per field: each one must be refused, naming the field. */
  badFields: Record<string, unknown[]>;
  /** Where event properties go in a message. */
  propsField: string;
  /** Amplitude keeps unknown top-level fields (Segment and PostHog drop them). */
  keepsUnknownFields?: boolean;
  /** RudderStack's Node SDK posts here: a gzip Buffer labelled form-encoded. */
  rudderstack?: boolean;
}

const amplitude = (path: string, maxBytes: number): Endpoint => ({
  path,
  maxBytes,
  maxMessages: 2_000,
  good: (id) => ({ user_id: id, event_type: "Good", insert_id: `${id}-${Math.random()}` }),
  wrap: (events, key) => ({ api_key: key, events }),
  badFields: {
    event_type: [123, "", null, "x".repeat(2_000)],
    user_id: [123, "", "null", {}],
    time: ["yesterday", -1, 1.5],
    event_properties: [[1], "x", 5],
    user_properties: [{ $bogus: {} }, [1]],
    insert_id: [5, {}],
    session_id: [1.5, "x"],
    price: ["9"],
  },
  propsField: "event_properties",
  keepsUnknownFields: true,
});
const segment = (path: string, single: boolean): Endpoint => ({
  path,
  maxBytes: 4_000_000,
  maxMessages: single ? 1 : 5_000,
  good: (id) => ({ type: "track", userId: id, event: "Good", messageId: `${id}-${Math.random()}` }),
  wrap: (batch, key) => (single ? { ...batch[batch.length - 1], writeKey: key } : { batch, writeKey: key }),
  badFields: {
    ...(single ? {} : { type: ["bogus", 5] }),
    event: [5, "", null, "x".repeat(2_000)],
    userId: ["", {}, [], true],
    timestamp: ["not a date", {}, -5],
    properties: [[1], "x"],
    context: ["x", [1]],
    messageId: [{}, ""],
  },
  propsField: "properties",
  rudderstack: true,
});
const posthog = (path: string): Endpoint => ({
  path,
  maxBytes: 20_000_000,
  maxMessages: 5_000,
  good: (id) => ({ event: "Good", distinct_id: id, uuid: `${id}-${Math.random()}` }),
  wrap: (batch, key) => ({ api_key: key, batch }),
  badFields: {
    event: [5, "", null, "x".repeat(2_000)],
    distinct_id: ["", {}, [], true],
    properties: [[], "x"],
    timestamp: ["nope", {}],
    uuid: [{}, ""],
    $set: ["x", [1]],
  },
  propsField: "properties",
});

const ENDPOINTS: Endpoint[] = [
  amplitude("/2/httpapi", 1_000_000),
  amplitude("/batch", 20_000_000),
  segment("/v1/batch", false),
  segment("/v1/track", true),
  posthog("/batch/"),
  posthog("/e/"),
];

interface Case {
  name: string;
  body: BodyInit;
  headers?: Record<string, string>;
  /** A word the error body must contain. */
  names?: string;
}

const gzip = async (data: string | Uint8Array) =>
  new Uint8Array(await new Response(new Blob([data]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer());
const DEEP = 10_000;
const TEN_MB = 10 * 1024 * 1024;
const deepObject = `${'{"a":'.repeat(DEEP)}1${"}".repeat(DEEP)}`;
const deepArray = `${"[".repeat(DEEP)}1${"]".repeat(DEEP)}`;

/** Every malformed request for one endpoint; `victim` is the user whose good events ride along. */
async function* badRequests(ep: Endpoint, victim: string): AsyncGenerator<Case> {
  const key = project.apiKey;
  const json = (messages: Message[]) => JSON.stringify(ep.wrap(messages, key));
  const withBad = (bad: Message) => (ep.maxMessages === 1 ? [bad] : [ep.good(victim), bad]);

  // Wrong types and out-of-range values, field by field.
  for (const [field, values] of Object.entries(ep.badFields)) {
    for (const value of values) {
      yield { name: `${field} = ${JSON.stringify(value).slice(0, 20)}`, body: json(withBad({ ...ep.good(victim), [field]: value })), names: field };
    }
  }
  // Huge strings: a property, a property name, an unknown field; one event of 3 MB in 32 KB pieces.
  const huge = "h".repeat(100_000);
  yield { name: "huge property value", body: json(withBad({ ...ep.good(victim), [ep.propsField]: { big: huge } })) };
  yield { name: "huge property name", body: json(withBad({ ...ep.good(victim), [ep.propsField]: { [huge]: 1 } })) };
  if (ep.keepsUnknownFields) {
    yield { name: "huge unknown field", body: json(withBad({ ...ep.good(victim), extra_field: "u".repeat(Math.min(ep.maxBytes - 10_000, 3_000_000)) })) };
  }
  const pieces = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`p${i}`, "x".repeat(30_000)]));
  yield { name: "3 MB event of small strings", body: json(withBad({ ...ep.good(victim), [ep.propsField]: pieces })) };
  // Deep nesting, in properties and in an unknown field.
  for (const [what, deep] of [
    ["object", deepObject],
    ["array", deepArray],
  ]) {
    const placeholder = "__DEEP__";
    yield {
      name: `${DEEP}-deep ${what} in properties`,
      body: json(withBad({ ...ep.good(victim), [ep.propsField]: { d: placeholder } })).replace(`"${placeholder}"`, deep!),
    };
    if (ep.keepsUnknownFields) {
      yield {
        name: `${DEEP}-deep ${what} in an unknown field`,
        body: json(withBad({ ...ep.good(victim), extra: placeholder })).replace(`"${placeholder}"`, deep!),
      };
    }
    yield { name: `${DEEP}-deep ${what} as the body`, body: deep! };
  }
  // Bytes that are not JSON, or not UTF-8.
  const valid = new TextEncoder().encode(json([ep.good(victim)]));
  const broken = new Uint8Array([...valid.slice(0, 20), 0xff, 0xfe, 0xc3, ...valid.slice(20)]);
  yield { name: "invalid UTF-8", body: broken };
  yield { name: "lone surrogate escapes are fine JSON, but a raw 0xC0 is not UTF-8", body: new Uint8Array([0x7b, 0xc0, 0x80, 0x7d]) };
  yield { name: "empty body", body: "" };
  yield { name: "not JSON", body: "this is not json" };
  yield { name: "truncated JSON", body: json([ep.good(victim)]).slice(0, 30) };
  yield { name: "JSON null", body: "null" };
  yield { name: "JSON number", body: "42" };
  // Compression.
  const zipped = await gzip(valid);
  yield { name: "truncated gzip", body: zipped.slice(0, Math.floor(zipped.byteLength / 2)), headers: { "content-encoding": "gzip" } };
  yield { name: "gzip header on a plain body", body: valid, headers: { "content-encoding": "gzip" } };
  // gzip is known by its magic bytes without any header (posthog-js posts it as text/plain): bad gzip behind them is still refused.
  yield { name: "truncated gzip, no header", body: zipped.slice(0, Math.floor(zipped.byteLength / 2)) };
  yield {
    name: "gzip magic bytes then garbage, as text/plain",
    body: new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2, 3, 4]),
    headers: { "content-type": "text/plain" },
  };
  yield { name: "unknown content-encoding", body: valid, headers: { "content-encoding": "br" } };
  // Content types nobody sends JSON as.
  for (const type of ["text/csv", "application/xml", "multipart/form-data; boundary=x", "image/png"]) {
    yield { name: `content-type ${type}`, body: valid, headers: { "content-type": type } };
  }
  // Over the size limit: plain, and a gzip bomb that is small on the wire.
  yield { name: "body over the limit", body: json([{ ...ep.good(victim), pad: "p".repeat(ep.maxBytes) }]) };
  yield {
    name: "gzip bomb over the limit",
    body: await gzip(json([{ ...ep.good(victim), pad: "0".repeat(ep.maxBytes + 10) }])),
    headers: { "content-encoding": "gzip" },
  };
  // Too many messages.
  if (ep.maxMessages > 1) {
    yield {
      name: "too many messages",
      body: json(Array.from({ length: ep.maxMessages + 1 }, () => ({ ...ep.good(victim), insert_id: undefined, messageId: undefined, uuid: undefined }))),
    };
  }
  // Literal 10 MB bodies, plain and gzip: one 10 MB event; 10 MB of small events (more
  // than one request may carry); 10 MB that is not JSON.
  const tenMb: [string, string][] = [
    ["one 10 MB event", json(withBad({ ...ep.good(victim), [ep.propsField]: { big: "b".repeat(TEN_MB) } }))],
    ["10 MB that is not JSON", `{"${"n".repeat(TEN_MB)}`],
  ];
  if (ep.maxMessages > 1) {
    const pad = "e".repeat(Math.ceil(TEN_MB / (ep.maxMessages + 1)));
    tenMb.push(["10 MB of events", json(Array.from({ length: ep.maxMessages + 1 }, (_, i) => ({ ...ep.good(victim), [ep.propsField]: { i, pad } })))]);
  }
  for (const [name, body] of tenMb) {
    expect(body.length, name).toBeGreaterThanOrEqual(TEN_MB);
    yield { name, body };
    yield { name: `${name}, gzip`, body: await gzip(body), headers: { "content-encoding": "gzip" } };
  }
  // RudderStack's Node SDK: gzip bodies labelled application/x-www-form-urlencoded.
  if (ep.rudderstack) {
    const rudder = { "content-type": "application/x-www-form-urlencoded", "content-encoding": "gzip" };
    const withBadId = json(withBad({ ...ep.good(victim), userId: {} }));
    yield { name: "rudderstack: truncated gzip", body: (await gzip(valid)).slice(0, 40), headers: rudder };
    yield { name: "rudderstack: gzip cut after its header", body: (await gzip(valid)).slice(0, 10), headers: rudder };
    yield { name: "rudderstack: not JSON after gunzip", body: await gzip("this is not json"), headers: rudder };
    yield { name: "rudderstack: form fields after gunzip", body: await gzip(`data=${encodeURIComponent(json([ep.good(victim)]))}`), headers: rudder };
    yield { name: "rudderstack: invalid UTF-8 after gunzip", body: await gzip(broken), headers: rudder };
    yield { name: "rudderstack: empty after gunzip", body: await gzip(""), headers: rudder };
    yield { name: "rudderstack: a bad message after gunzip", body: await gzip(withBadId), headers: rudder, names: "userId" };
    yield { name: "rudderstack: 10 MB after gunzip", body: await gzip(tenMb[0]![1]), headers: rudder };
  }
}

describe.each(ENDPOINTS.map((ep) => [ep.path, ep] as const))("bad input to %s", (_, ep) => {
  it("is always a 4xx with a JSON body naming the problem, and stores nothing", async () => {
    const victim = `victim${ep.path.replace(/\W/g, "-")}`;
    const seen: string[] = [];
    for await (const c of badRequests(ep, victim)) {
      const res = await call(ep.path, { method: "POST", headers: { "content-type": "application/json", ...c.headers }, body: c.body });
      const text = await res.text();
      const label = `${ep.path} ${c.name}: ${res.status} ${text.slice(0, 300)}`;
      expect(res.status, label).toBeGreaterThanOrEqual(400);
      expect(res.status, label).toBeLessThan(500);
      let body: unknown;
      expect(() => (body = JSON.parse(text)), label).not.toThrow();
      const described = JSON.stringify(body);
      expect(described.length, label).toBeGreaterThan(20);
      if (c.names !== undefined) expect(described, label).toContain(c.names);
      // A reason, not just a field: zod's bare "Invalid input" (from a union) says nothing.
      expect(described, label).not.toMatch(/Invalid input(?!:)/);
      seen.push(c.name);
    }
    expect(seen.length).toBeGreaterThanOrEqual(35);
    expect(seen.filter((name) => name.includes("10 MB")).length).toBeGreaterThanOrEqual(4);
    if (ep.rudderstack) expect(seen.filter((name) => name.startsWith("rudderstack:")).length).toBe(8);

    // Nothing partially applied: no events, no profile, and no pending work that could
    // still archive or register it (so the checks below cannot pass just by being early);
    // nothing of this project in the R2 archive, no row for the victim in the registry.
    const victimProfile = profile(project.id, user(victim));
    expect(await victimProfile.getEvents()).toEqual([]);
    expect(await victimProfile.getProfile()).toBeNull();
    expect(await runDurableObjectAlarm(env.USER_PROFILE.getByName(profileObjectName(project.id, user(victim))))).toBe(false);
    expect((await env.ARCHIVE.list({ prefix: archivePrefix(project.id) })).objects).toEqual([]);
    const rows = await env.DB.prepare("SELECT profile_key FROM users WHERE project_id = ?").bind(project.id).all();
    expect(rows.results).toEqual([]);
    // Dozens of bodies up to 10 MB (gzip bombs included) per endpoint: seconds of work, more on a busy machine.
  }, 60_000);
});
