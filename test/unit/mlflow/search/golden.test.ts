import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MlflowError } from '../../../../src/mlflow/emulator/errors.js';
import {
  type SearchKind,
  type SearchRecords,
  compareBy,
  matchesFilter,
  parseSearch,
} from '../../../../src/mlflow/emulator/search/index.js';

/**
 * Every search request of the golden corpus (golden/mlflow-3.11), replayed against the search functions. The
 * cases were extracted from the corpus into golden-search-cases.json: the request, the real server's answer
 * and, for a successful search, every entity the corpus had shown by then (the "universe"). Errors must match
 * byte for byte; successes must select and order exactly the ids the server returned on that page.
 */
interface GoldenCase {
  source: string;
  kind: SearchKind;
  filter?: string;
  orderBy?: string[];
  viewType?: string;
  maxResults?: number;
  offset?: number;
  universe?: Record<string, unknown>[];
  expected: { status: number; error_code?: string; message?: string; ids?: string[] };
}

const fixture = JSON.parse(readFileSync(new URL('./golden-search-cases.json', import.meta.url), 'utf8')) as {
  cases: GoldenCase[];
  excluded: { source: string; reason: string }[];
};

// MLflow's defaults when the request leaves max_results out.
const DEFAULT_MAX_RESULTS: Record<SearchKind, number> = {
  runs: 1000,
  experiments: 1000,
  registered_models: 100,
  model_versions: 10000,
};

const lifecycleOf = (kind: SearchKind, record: Record<string, unknown>) =>
  kind === 'runs'
    ? (record.info as { lifecycle_stage: string }).lifecycle_stage
    : (record.lifecycle_stage as string | undefined);

/** The store's view filter (not part of the grammar): unknown view types behave as ACTIVE_ONLY. */
function visible(kind: SearchKind, viewType: string | undefined, record: Record<string, unknown>): boolean {
  const stage = lifecycleOf(kind, record);
  if (stage === undefined || viewType === 'ALL') return true;
  return viewType === 'DELETED_ONLY' ? stage === 'deleted' : stage === 'active';
}

/** The corpus writes NaN metrics as the string "NaN". */
function toRecord(kind: SearchKind, raw: Record<string, unknown>): SearchRecords[SearchKind] {
  if (kind !== 'runs') return raw as unknown as SearchRecords[SearchKind];
  const metrics = Object.fromEntries(
    Object.entries(raw.metrics as Record<string, number | string>).map(([k, v]) => [k, Number(v)]),
  );
  return { ...raw, metrics } as unknown as SearchRecords['runs'];
}

function idOf(kind: SearchKind, record: SearchRecords[SearchKind]): string {
  if (kind === 'runs') return (record as SearchRecords['runs']).info.run_id;
  if (kind === 'experiments') return (record as SearchRecords['experiments']).experiment_id;
  if (kind === 'registered_models') return (record as SearchRecords['registered_models']).name;
  const version = record as SearchRecords['model_versions'];
  return `${version.name}/${version.version}`;
}

function search(c: GoldenCase): string[] {
  const { clauses, order } = parseSearch(c.kind, c.filter, c.orderBy);
  const records = (c.universe ?? [])
    .filter((raw) => visible(c.kind, c.viewType, raw))
    .map((raw) => toRecord(c.kind, raw));
  const hits = records.filter((r) => matchesFilter(c.kind, r, clauses)).sort(compareBy(order));
  const offset = c.offset ?? 0;
  return hits
    .slice(offset, offset + (c.maxResults ?? DEFAULT_MAX_RESULTS[c.kind]))
    .map((r) => idOf(c.kind, r));
}

function thrown(fn: () => unknown): MlflowError {
  try {
    fn();
  } catch (error) {
    if (error instanceof MlflowError) return error;
    throw error;
  }
  throw new Error('expected an MlflowError');
}

describe('golden corpus searches', () => {
  const failures = fixture.cases.filter((c) => c.expected.status !== 200);
  const successes = fixture.cases.filter((c) => c.expected.status === 200);

  it('covers the searches with a filter or order_by, errors included', () => {
    expect(failures.length).toBe(9);
    expect(successes.length).toBe(37);
    expect(fixture.cases.filter((c) => c.filter || c.orderBy).length).toBe(34);
  });

  it.each(failures.map((c) => [c.source, c] as const))('%s answers with the exact error', (_source, c) => {
    const error = thrown(() => parseSearch(c.kind, c.filter, c.orderBy));
    expect(error.message).toBe(c.expected.message);
    expect(error.errorCode).toBe(c.expected.error_code);
    expect(error.status).toBe(c.expected.status);
  });

  it.each(successes.map((c) => [c.source, c] as const))(
    '%s selects and orders like the server',
    (_source, c) => {
      expect(search(c)).toEqual(c.expected.ids);
    },
  );
});

// The fixture must not drift from the corpus: when the corpus is at hand, every search exchange in it is
// either a case above or excluded with a reason.
import { FLOWS as FILES, GOLDEN_DIR } from '../../../integration/mlflow/golden/corpus.js';

describe.skipIf(!existsSync(path.join(GOLDEN_DIR, 'README.md')))('golden fixture coverage', () => {
  it('accounts for every search exchange of the corpus', () => {
    const inCorpus: string[] = [];
    for (const file of FILES) {
      for (const line of readFileSync(path.join(GOLDEN_DIR, `${file}.jsonl`), 'utf8').split('\n')) {
        if (!line.trim()) continue;
        const record = JSON.parse(line) as { seq: number; method?: string; path?: string };
        if (record.method && record.path?.endsWith('/search')) inCorpus.push(`${file}.jsonl#${record.seq}`);
      }
    }
    const accounted = [...fixture.cases, ...fixture.excluded].map((c) => c.source.split(' ')[0]);
    expect([...accounted].sort()).toEqual([...inCorpus].sort());
  });
});
