import type { Exchange } from './corpus.js';
import type { Reply, Replay } from './replay.js';

/**
 * Compares our reply with the recorded one. Only what README "What varies run to run" lists is compared by
 * shape; everything else must be equal: status, Content-Type, key sets (order-insensitive), array order, which
 * keys are omitted, values and their types. Returns the differences, empty when the exchange matches.
 */
export function compareExchange(ex: Exchange, expectedBody: unknown, reply: Reply, replay: Replay): string[] {
  const out: string[] = [];
  if (reply.status !== ex.status) out.push(`status: expected ${ex.status}, got ${reply.status}`);
  const expectedType = ex.response_headers['content-type'];
  if (reply.contentType !== expectedType) {
    out.push(`content-type: expected ${show(expectedType)}, got ${show(reply.contentType)}`);
  }
  if (typeof expectedBody === 'string') compareText(ex, expectedBody, reply, out);
  else if (reply.json === undefined) {
    out.push(
      `body: expected JSON ${clip(JSON.stringify(expectedBody))}, got ${clip(show(reply.bytes.toString()))}`,
    );
  } else new BodyComparer(replay, out).value(expectedBody, reply.json, '$', undefined);
  return out;
}

/** README "Record format": non-JSON bodies are kept as their first 2000 characters plus the byte length. */
function compareText(ex: Exchange, expected: string, reply: Reply, out: string[]): void {
  const text = reply.bytes.toString('utf8');
  const actual = ex.response_body_truncated ? text.slice(0, expected.length) : text;
  if (actual !== expected) out.push(`body: expected ${clip(show(expected))}, got ${clip(show(text))}`);
  if (ex.response_body_length !== undefined && reply.bytes.length !== ex.response_body_length) {
    out.push(`body length: expected ${ex.response_body_length} bytes, got ${reply.bytes.length}`);
  }
}

/** Times of the server clock: any epoch-millisecond integer. */
const SERVER_TIMES = new Set([
  'creation_time',
  'last_update_time',
  'creation_timestamp',
  'last_updated_timestamp',
]);
/** Times the client may send: exact when the replay sent that value, else any epoch-millisecond integer. */
const CLIENT_TIMES = new Set(['start_time', 'end_time', 'timestamp']);
/** Environment-dependent strings (README): exact when the replay sent them, else any string. */
const ENVIRONMENT = new Set(['user_id']);
const ENVIRONMENT_TAGS = new Set(['mlflow.user', 'mlflow.source.name']);
/** Error text with SQLite/SQLAlchemy or host details: compared up to where those begin. */
const SQL_DETAILS = '\n[SQL: ';
const ARTIFACT_ROOT = '<artifacts-destination>';

class BodyComparer {
  constructor(
    private readonly replay: Replay,
    private readonly out: string[],
  ) {}

  value(expected: unknown, actual: unknown, at: string, key: string | undefined): void {
    if (key !== undefined && this.#varying(expected, actual, at, key)) return;
    if (Array.isArray(expected)) {
      if (!Array.isArray(actual)) return this.#differ(at, expected, actual);
      if (expected.length !== actual.length) {
        this.out.push(`${at}: expected ${expected.length} items, got ${actual.length}`);
      }
      const n = Math.min(expected.length, actual.length);
      for (let i = 0; i < n; i++) this.value(expected[i], actual[i], `${at}[${i}]`, undefined);
      return;
    }
    if (isObject(expected)) {
      if (!isObject(actual)) return this.#differ(at, expected, actual);
      const tag = ENVIRONMENT_TAGS.has(expected.key as string) && 'value' in expected;
      for (const k of Object.keys(expected)) {
        if (!(k in actual))
          this.out.push(`${at}.${k}: missing (expected ${clip(JSON.stringify(expected[k]))})`);
        else if (tag && k === 'value') this.#environment(expected[k], actual[k], `${at}.${k}`);
        else this.value(expected[k], actual[k], `${at}.${k}`, k);
      }
      for (const k of Object.keys(actual)) {
        if (!(k in expected))
          this.out.push(`${at}.${k}: unexpected key (got ${clip(JSON.stringify(actual[k]))})`);
      }
      return;
    }
    if (!Object.is(expected, actual)) this.#differ(at, expected, actual);
  }

  /** True when the key is one the README lets vary, after comparing it by shape. */
  #varying(expected: unknown, actual: unknown, at: string, key: string): boolean {
    if (key === 'next_page_token') {
      // Opaque (README "What varies"): present on both sides, a string.
      if (typeof actual !== 'string') this.#differ(at, expected, actual);
      return true;
    }
    if ((SERVER_TIMES.has(key) || CLIENT_TIMES.has(key)) && typeof expected === 'number') {
      const exact = CLIENT_TIMES.has(key) && this.replay.sentNumbers.has(expected);
      if (exact ? actual !== expected : !isEpochMillis(actual)) this.#differ(at, expected, actual);
      return true;
    }
    if (ENVIRONMENT.has(key)) {
      this.#environment(expected, actual, at);
      return true;
    }
    if (key === 'message' && typeof expected === 'string') {
      const cut = expected.indexOf(SQL_DETAILS);
      if (cut >= 0) {
        if (typeof actual !== 'string' || !actual.startsWith(expected.slice(0, cut))) {
          this.#differ(`${at} (prefix before the SQL text)`, expected.slice(0, cut), actual);
        }
        return true;
      }
      if (expected.includes(ARTIFACT_ROOT)) {
        const [before, after] = expected.split(ARTIFACT_ROOT) as [string, string];
        const ok =
          typeof actual === 'string' &&
          actual.startsWith(before) &&
          actual.endsWith(after) &&
          actual.length > before.length + after.length;
        if (!ok) this.#differ(`${at} (around the artifact root)`, expected, actual);
        return true;
      }
    }
    return false;
  }

  #environment(expected: unknown, actual: unknown, at: string): void {
    const sent = typeof expected === 'string' && this.replay.sentStrings.has(expected);
    if (sent ? actual !== expected : typeof actual !== 'string') this.#differ(at, expected, actual);
  }

  #differ(at: string, expected: unknown, actual: unknown): void {
    this.out.push(`${at}: expected ${clip(show(expected))}, got ${clip(show(actual))}`);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isEpochMillis = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const show = (v: unknown) => (v === undefined ? 'undefined' : JSON.stringify(v));
const clip = (s: string, n = 300) => (s.length > n ? `${s.slice(0, n)}…(${s.length} chars)` : s);
