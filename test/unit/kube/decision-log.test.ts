import { describe, expect, test } from 'vitest';
import { DecisionLog } from '../../../src/kube/decision-log.js';

describe('DecisionLog: a bounded ring, newest first', () => {
  test('keeps the most recent entries in order across wrap-arounds', () => {
    const log = new DecisionLog<number>(3);
    expect(log.list()).toEqual([]);
    log.add(1);
    log.add(2);
    expect(log.list()).toEqual([2, 1]);
    for (const n of [3, 4, 5, 6, 7]) log.add(n);
    expect(log.list()).toEqual([7, 6, 5]);
    log.add(8);
    expect(log.list()).toEqual([8, 7, 6]);
  });
});
