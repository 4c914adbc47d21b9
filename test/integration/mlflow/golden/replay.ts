import http from 'node:http';
import { isRawBody, type Exchange } from './corpus.js';

/** What the emulator answered. `json` is set when the Content-Type mentions json and the body is strict JSON. */
export interface Reply {
  status: number;
  contentType: string | undefined;
  bytes: Buffer;
  json?: unknown;
}

const RUN_ID = /[0-9a-f]{32}/g;
/** README "What varies": a generated run name such as `colorful-deer-201`. */
export const GENERATED_RUN_NAME = /^[a-z]+-[a-z]+-\d+$/;

/**
 * Replays recorded exchanges against one server and keeps what the real server generated and ours generated
 * differently: run ids and generated run names (README "What varies run to run"). Ids are born in
 * `runs/create`; later request paths, query values and bodies, and the expected responses, are rewritten to
 * ours. Experiment ids need no map: replayed in capture order against a fresh server they are the same.
 */
export class Replay {
  readonly #runIds = new Map<string, string>();
  readonly #runNames = new Map<string, string>();
  /** Every number and string the replayed client sent: such values must come back exactly. */
  readonly sentNumbers = new Set<number>();
  readonly sentStrings = new Set<string>();

  /** `extraHeaders`: sent with every request (credentials, when a front door stands before the server). */
  constructor(
    readonly baseUrl: URL,
    readonly extraHeaders: Record<string, string> = {},
  ) {}

  /** Recorded run ids → ours, wherever they appear inside a string (URIs, paths, messages). */
  rewriteText(text: string): string {
    return text.replace(RUN_ID, (id) => this.#runIds.get(id) ?? id);
  }

  /** Deep rewrite of a recorded JSON value: run ids inside strings, generated run names as whole values. */
  rewrite(value: unknown): unknown {
    if (typeof value === 'string') return this.#runNames.get(value) ?? this.rewriteText(value);
    if (Array.isArray(value)) return value.map((v) => this.rewrite(v));
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.rewrite(v)]));
    }
    return value;
  }

  async send(ex: Exchange): Promise<Reply> {
    const query = new URLSearchParams();
    for (const [key, values] of Object.entries(ex.query)) {
      for (const v of values) query.append(key, this.rewriteText(v));
    }
    const body = this.#requestBody(ex.request_body);
    for (const v of Object.values(ex.query).flat()) this.sentStrings.add(this.rewriteText(v));
    // Only the headers the brief replays; a header recorded as absent stays absent (no default Content-Type).
    const headers: Record<string, string | number> = { ...this.extraHeaders };
    for (const name of ['content-type', 'x-mlflow-workspace']) {
      const value = ex.request_headers[name];
      if (value !== undefined) headers[name] = value;
    }
    if (body) headers['content-length'] = body.length;
    const search = query.size > 0 ? `?${query}` : '';
    return request(this.baseUrl, ex.method, this.rewriteText(ex.path) + search, headers, body);
  }

  /** Learns the ids and names our server generated where the real one generated its own. */
  learn(ex: Exchange, reply: Reply): string[] {
    if (!ex.path.endsWith('/mlflow/runs/create') || ex.status !== 200 || reply.status !== 200) return [];
    const expected = (ex.response_body as { run: { info: Record<string, string> } }).run.info;
    const actual = (reply.json as { run?: { info?: Record<string, string> } } | undefined)?.run?.info;
    if (!actual) return ['runs/create answered without run.info'];
    this.#runIds.set(expected.run_id!, actual.run_id!);
    if (this.sentStrings.has(expected.run_name!)) return [];
    this.#runNames.set(expected.run_name!, actual.run_name!);
    return GENERATED_RUN_NAME.test(actual.run_name!)
      ? []
      : [`generated run name ${JSON.stringify(actual.run_name)} does not look like adjective-animal-number`];
  }

  #requestBody(recorded: unknown): Buffer | undefined {
    if (recorded === null || recorded === undefined) return undefined;
    if (isRawBody(recorded)) {
      // Raw bodies (malformed JSON, bare NaN tokens) still carry run ids; latin1 keeps every byte as it is.
      const text = Buffer.from(recorded.data, 'base64').toString('latin1');
      return Buffer.from(this.rewriteText(text), 'latin1');
    }
    const body = this.rewrite(recorded);
    this.#remember(body);
    return Buffer.from(JSON.stringify(body));
  }

  #remember(value: unknown): void {
    if (typeof value === 'number') this.sentNumbers.add(value);
    else if (typeof value === 'string') this.sentStrings.add(value);
    else if (typeof value === 'object' && value !== null)
      Object.values(value).forEach((v) => this.#remember(v));
  }
}

/** node:http rather than fetch: fetch would add a Content-Type and normalise the path. */
function request(
  base: URL,
  method: string,
  pathAndQuery: string,
  headers: Record<string, string | number>,
  body: Buffer | undefined,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: base.hostname, port: base.port, method, path: pathAndQuery, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const bytes = Buffer.concat(chunks);
          const contentType = res.headers['content-type'];
          const reply: Reply = { status: res.statusCode ?? 0, contentType, bytes };
          if (contentType?.includes('json')) {
            try {
              reply.json = JSON.parse(bytes.toString('utf8'));
            } catch {
              // Not strict JSON: compared as text, as the recorder did.
            }
          }
          resolve(reply);
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
