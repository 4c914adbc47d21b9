import { describe, expect, test } from 'vitest';
import { createClock } from '../../../../src/clock.js';
import { DecisionCache } from '../../../../src/mlflow/auth/kubernetes/decision-cache.js';

const get = { group: 'mlflow.kubeflow.org', resource: 'experiments', verb: 'get', namespace: 'team-a' };

describe('DecisionCache: the plugin’s per-identity decision cache (mlflow-workspaces-k8s-auth.md §8)', () => {
  test('allows and denials are kept per identity and review, until the TTL passes on the lab clock', () => {
    const clock = createClock();
    const cache = new DecisionCache(clock, 300_000);
    const key = DecisionCache.key(get);
    expect(key).toBe('team-a\0experiments\0\0get\0');
    expect(DecisionCache.key({ ...get, name: 'exp' })).not.toBe(key);
    cache.set('alice', key, true);
    cache.set('bob', key, false);
    expect([cache.get('alice', key), cache.get('bob', key), cache.get('carol', key)]).toEqual([
      true,
      false,
      undefined,
    ]);
    clock.advance('299s');
    expect(cache.get('alice', key)).toBe(true);
    clock.advance('1s');
    expect([cache.get('alice', key), cache.get('bob', key)]).toEqual([undefined, undefined]);
    cache.set('alice', key, true);
    cache.clear();
    expect(cache.get('alice', key)).toBe(undefined);
  });

  test('at 10,000 entries the expired go first, then the oldest', () => {
    const clock = createClock();
    const cache = new DecisionCache(clock, 300_000);
    const key = (i: number) => DecisionCache.key({ ...get, name: `e${i}` });
    cache.set('old', key(0), true);
    clock.advance('200s');
    for (let i = 1; i < 10_000; i++) cache.set(`id${i % 7}`, key(i), true);
    clock.advance('101s'); // 'old' has expired, the rest have not
    cache.set('new', key(0), true);
    expect(cache.get('id1', key(1))).toBe(true);
    cache.set('newer', key(0), false); // full again: the oldest live entry goes
    expect(cache.get('id1', key(1))).toBe(undefined);
    expect([cache.get('id2', key(2)), cache.get('new', key(0)), cache.get('newer', key(0))]).toEqual([
      true,
      true,
      false,
    ]);
  });

  test('a full cache evicts the entry set first, whoever it is for, not the first identity’s newest', () => {
    const cache = new DecisionCache(createClock(), 300_000);
    const key = (i: number) => DecisionCache.key({ ...get, name: `e${i}` });
    cache.set('a', key(0), true);
    for (let i = 1; i < 10_000; i++) cache.set('b', key(i), true);
    cache.set('a', key(0), false); // set again: keeps its place, evicts nothing
    expect(cache.get('b', key(1))).toBe(true);
    cache.set('a', key(10_000), true); // full: a's first entry is the oldest
    expect([cache.get('a', key(0)), cache.get('a', key(10_000))]).toEqual([undefined, true]);
    cache.set('c', key(0), true); // full: b's first entry is now the oldest, not a's fresh one
    expect([cache.get('b', key(1)), cache.get('a', key(10_000)), cache.get('c', key(0))]).toEqual([
      undefined,
      true,
      true,
    ]);
  });
});
