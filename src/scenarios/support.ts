// What the scenarios share: a throwaway lab with its log captured, the clients that trigger failures (Node's http
// and https for header-level ones, fetch for the rest), and the default lab's config as an editable object.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { DEFAULT_CONFIG_FILE } from '../config/defaults.js';
import type { LabConfigInput } from '../config/schema.js';
import { startLab, type LabOptions, type StartedLab } from '../lab/start-lab.js';
import type { Logger } from '../log.js';

export const API = '/api/2.0/mlflow';
export const SEARCH = `${API}/experiments/search?max_results=1`;

export interface LabRun {
  lab: StartedLab;
  /** Every line the lab logged, oldest first. */
  logs: string[];
  /** The first logged line containing `text`, or undefined. */
  logLine(text: string): string | undefined;
}

/** Runs `fn` against a lab on free ports with its log captured; disposes the lab whatever happens. */
export async function withLab<T>(options: LabOptions, fn: (run: LabRun) => Promise<T>): Promise<T> {
  const logs: string[] = [];
  const push = (line: string) => logs.push(line);
  const log: Logger = { debug() {}, info: push, warn: push, error: push };
  const lab = await startLab({
    ports: { proxy: 0, idp: 0, kube: 0, mlflow: 0 },
    env: {},
    log,
    ...options,
  } as LabOptions);
  try {
    return await fn({ lab, logs, logLine: (text) => logs.find((l) => l.includes(text)) });
  } finally {
    await lab.dispose();
  }
}

export interface Answer {
  status: number;
  contentType: string;
  body: string;
  location?: string;
}

/** One request with Node's http/https client: headers go out as given, so a bad header fails as it does in Node. */
export function nodeRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; ca?: string } = {},
): Promise<Answer> {
  const client = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    try {
      const req = client.request(
        url,
        {
          method: options.method ?? 'GET',
          headers: options.headers ?? {},
          ...(options.ca !== undefined && { ca: options.ca }),
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              contentType: String(res.headers['content-type'] ?? ''),
              body,
              ...(res.headers.location !== undefined && { location: res.headers.location }),
            }),
          );
        },
      );
      req.on('error', reject);
      req.end(options.body);
    } catch (error) {
      // Node validates header values before sending anything: ERR_INVALID_CHAR is thrown, not emitted.
      reject(error instanceof Error ? error : new Error(String(error)));
    }
  });
}

/** The error a request ends in, as `CODE: message`; or undefined when it got an answer. */
export async function requestError(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    return `${e.code ?? e.name}: ${e.message}`;
  }
}

/** `GET <trackingUri>/api/2.0/mlflow/experiments/search` as an API client (JSON accepted) with a bearer token. */
export function searchAs(
  lab: StartedLab,
  token: string | undefined,
  extra: Record<string, string> = {},
): Promise<Answer> {
  return nodeRequest(`${lab.trackingUri}${SEARCH}`, {
    headers: {
      accept: 'application/json',
      ...(token !== undefined && { authorization: `Bearer ${token}` }),
      ...extra,
    },
  });
}

/** `status body` in one line, the body cut at 200 characters. */
export function answerLine(a: Answer): string {
  const body = a.body.length > 200 ? `${a.body.slice(0, 200)}…` : a.body;
  return `${a.status} ${body.replace(/\s+/g, ' ').trim()}`;
}

/** The default lab's config as an object, with its file paths made absolute, to change one thing in it. */
export async function defaultLabConfig(): Promise<Record<string, unknown> & LabConfigInput> {
  const file = fileURLToPath(DEFAULT_CONFIG_FILE);
  const raw = parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  const dir = path.dirname(file);
  if (Array.isArray(raw.rbac)) {
    raw.rbac = raw.rbac.map((r: unknown) => (typeof r === 'string' ? path.resolve(dir, r) : r));
  }
  if (typeof raw.dexConfig === 'string') raw.dexConfig = path.resolve(dir, raw.dexConfig);
  return raw as Record<string, unknown> & LabConfigInput;
}

let pythonProbe: Promise<string | undefined> | undefined;
/** `python3` (or AUTHLAB_PYTHON) when it has `requests`, the HTTP library the MLflow client uses; else undefined. */
function python(): Promise<string | undefined> {
  const bin = process.env.AUTHLAB_PYTHON ?? 'python3';
  return (pythonProbe ??= new Promise((resolve) =>
    execFile(bin, ['-c', 'import requests'], (error) => resolve(error ? undefined : bin)),
  ));
}

const PYTHON_GET = `import sys, json, requests
args = json.loads(sys.argv[1])
try:
    r = requests.get(args['url'], headers=args['headers'], verify=args.get('verify', True))
    print(r.status_code)
except requests.exceptions.SSLError as e:
    print('SSLError: ' + str(e.args[0].reason.args[0]))
except Exception as e:
    print(type(e).__name__ + ': ' + str(e))`;

/**
 * What Python's requests (as the MLflow client calls it) says for the same request, where python3 with requests is
 * installed: the very words users see at work. Undefined where it is not.
 */
export async function pythonSays(
  url: string,
  options: { headers?: Record<string, string>; verify?: string } = {},
): Promise<string | undefined> {
  const bin = await python();
  if (bin === undefined) return undefined;
  const arg = JSON.stringify({
    url,
    headers: options.headers ?? {},
    ...(options.verify && { verify: options.verify }),
  });
  return new Promise((resolve) =>
    execFile(bin, ['-c', PYTHON_GET, arg], { timeout: 30_000 }, (error, stdout) =>
      resolve(error ? `python failed: ${error.message}` : stdout.trim()),
    ),
  );
}
