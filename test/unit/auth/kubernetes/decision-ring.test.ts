import { describe, expect, test } from 'vitest';
import { DecisionRing, type DecisionRecord } from '../../../../src/mlflow/auth/kubernetes/decision-ring.js';

const review = (verb: string, allowed = true) => ({
  attributes: { group: 'mlflow.kubeflow.org', resource: 'experiments', verb, namespace: 'team-a' },
  allowed,
  cached: false,
});

function decision(i: number, reviews = [review('get')]): DecisionRecord {
  return {
    atMs: 1_800_000_000_000 + i,
    method: 'GET',
    // A fresh string each time, as a request's path is.
    path: ['/api/2.0/mlflow/experiments/', `get${i % 2}`].join(''),
    workspace: i % 3 === 0 ? undefined : 'team-a',
    username: 'alice@example.com',
    reviews,
    status: 200,
    outcome: 'allowed',
  };
}

describe('DecisionRing: the gate’s last decisions in reused slots', () => {
  test('newest first across wrap-arounds, each decision as it was added', () => {
    const ring = new DecisionRing(3);
    expect(ring.list()).toEqual([]);
    const added = [0, 1, 2, 3, 4, 5, 6].map((i) => decision(i));
    for (const [i, d] of added.entries()) {
      ring.add(d);
      expect(ring.list()).toEqual(added.slice(Math.max(0, i - 2), i + 1).reverse());
    }
  });

  test('a slot keeps only its own reviews, and what was listed does not change when the slot is reused', () => {
    const ring = new DecisionRing(1);
    ring.add(decision(1, [review('get'), review('update', false)]));
    const listed = ring.list();
    ring.add(decision(2, [review('list')]));
    expect(listed[0]!.reviews.map((r) => r.attributes.verb)).toEqual(['get', 'update']);
    expect(ring.list()[0]!.reviews).toEqual([review('list')]);
    ring.add(decision(3, []));
    expect(ring.list()[0]!.reviews).toEqual([]);
  });
});
