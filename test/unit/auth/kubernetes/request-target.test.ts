import { describe, expect, test } from 'vitest';
import { requestTarget } from '../../../../src/mlflow/auth/kubernetes/request-target.js';

const viaUrl = (raw: string) => {
  const url = new URL(raw, 'http://gate');
  return { pathname: url.pathname, search: url.search, query: url.searchParams.toString() };
};
const viaTarget = (raw: string) => {
  const t = requestTarget(raw);
  return { pathname: t.pathname, search: t.search, query: t.searchParams.toString() };
};

describe('requestTarget: the split of plain targets equals the URL parser, the rest goes through it', () => {
  test.each([
    '/api/2.0/mlflow/experiments/get?experiment_id=1',
    '/api/2.0/mlflow/experiments/search',
    '/api/2.0/mlflow/experiments/search?',
    '/api/2.0/mlflow/runs/search?max_results=5&order_by=start_time%20DESC',
    '/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval?run_ids=a&run_ids=b&metric_key=loss+x',
    '/api/2.0/mlflow/experiments/get?experiment_id=1&x=a.b~c',
    '/a//b?x=1',
    '/a/.hidden/..b/...',
    // Not plain: dot segments, encoded dots, a scheme-relative start, spaces, fragments, non-ASCII.
    '/api/2.0/mlflow/experiments/../experiments/get?experiment_id=1',
    '/api/2.0/mlflow/%2e%2e/x',
    '//evil.example/api/2.0/mlflow/experiments/get',
    '/api/2.0/mlflow/experiments/get?name=a b',
    '/api/2.0/mlflow/experiments/get?experiment_id=1#frag',
    '/api/2.0/mlflow/experiments/get?name=é',
    "/api/2.0/mlflow/experiments/get?name='x'",
    '/api/2.0/mlflow/experiments/./get',
    '/api/2.0/mlflow/experiments/.',
    '/api/2.0/mlflow/..?x=1',
    '/api/2.0/mlflow/%2E/x',
  ])('%s', (raw) => {
    expect(viaTarget(raw)).toEqual(viaUrl(raw));
  });

  test('MLflow API targets take the plain split, not the URL parser (a tenth of the gate per call)', () => {
    for (const raw of [
      '/api/2.0/mlflow/experiments/get?experiment_id=1',
      '/ajax-api/2.0/mlflow/runs/search',
      '/api/3.0/mlflow/traces/tr-1/info',
    ])
      expect(requestTarget(raw)).not.toBeInstanceOf(URL);
    expect(requestTarget('/api/2.0/mlflow/../x')).toBeInstanceOf(URL);
  });

  test('dot segments are resolved before a decision: the forwarded path is the one decided on', () => {
    expect(requestTarget('/api/2.0/mlflow/experiments/../runs/get?run_id=r').pathname).toBe(
      '/api/2.0/mlflow/runs/get',
    );
    expect(requestTarget('//evil.example/x').pathname).toBe('/x');
  });
});
