import { fileURLToPath } from 'node:url';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The golden corpus of real MLflow 3.11 traffic (golden/mlflow-3.11/README.md). It lives outside the repository;
 * `AUTHLAB_GOLDEN_DIR` points elsewhere.
 */
/** `../shared/golden/mlflow-3.11` beside the repository, as on the development machines and in CI. */
export const GOLDEN_DIR =
  process.env.AUTHLAB_GOLDEN_DIR ??
  fileURLToPath(new URL('../../../../../shared/golden/mlflow-3.11', import.meta.url));

/** README "Where it came from", "Order": one fresh server, the files in this order, so ids run on across them. */
export const FLOWS = [
  'client/basic-run',
  'client/nested-and-status',
  'client/experiments',
  'client/registry',
  'client/workspaces',
  'client/errors',
  'rest/edge-cases',
] as const;

/** README "Record format" 1: one HTTP exchange. */
export interface Exchange {
  seq: number;
  flow: string;
  method: string;
  path: string;
  query: Record<string, string[]>;
  request_headers: Record<string, string>;
  request_body: unknown;
  status: number;
  response_headers: { 'content-type'?: string };
  response_body: unknown;
  response_body_length?: number;
  response_body_truncated?: boolean;
}

/** A non-JSON request body as the recorder stores it: the bytes in base64. */
export interface RawBody {
  encoding: 'base64';
  length: number;
  data: string;
  note: string;
}

export const isRawBody = (body: unknown): body is RawBody =>
  typeof body === 'object' &&
  body !== null &&
  (body as RawBody).encoding === 'base64' &&
  typeof (body as RawBody).data === 'string' &&
  typeof (body as RawBody).note === 'string';

export const corpusPresent = () => existsSync(path.join(GOLDEN_DIR, 'README.md'));

/** The HTTP exchanges of one file, in `seq` order; the client-step and rest-case markers are dropped. */
export function loadExchanges(flow: string): Exchange[] {
  const text = readFileSync(path.join(GOLDEN_DIR, `${flow}.jsonl`), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((record): record is Record<string, unknown> & Exchange => 'method' in record)
    .sort((a, b) => a.seq - b.seq);
}
