import { describe, expect, test } from 'vitest';
import { runChain, type Middleware } from '../../../src/proxy/chain.js';
import type { RequestScope } from '../../../src/proxy/scope.js';

const scope = {} as RequestScope;

function step(
  name: string,
  seen: string[],
  answer: boolean | 'async-true' | 'async-false' | 'throw',
): Middleware {
  return {
    name,
    handle() {
      seen.push(name);
      if (answer === 'throw') throw new Error(`${name} broke`);
      if (answer === 'async-true') return Promise.resolve(true);
      if (answer === 'async-false') return Promise.resolve(false);
      return answer;
    },
  };
}

describe('runChain', () => {
  test('runs steps in order, synchronous and asynchronous, until one answers', async () => {
    const seen: string[] = [];
    await runChain(
      [
        step('a', seen, false),
        step('b', seen, 'async-false'),
        step('c', seen, false),
        step('d', seen, true),
      ].concat(step('never', seen, false)),
      scope,
    );
    expect(seen).toEqual(['a', 'b', 'c', 'd']);
  });

  test('a chain whose steps all answer synchronously makes no promise', () => {
    const seen: string[] = [];
    expect(runChain([step('a', seen, false), step('b', seen, true), step('never', seen, false)], scope)).toBe(
      undefined,
    );
    expect(runChain([step('c', seen, false)], scope)).toBe(undefined);
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  test('an asynchronous answer stops the chain too', async () => {
    const seen: string[] = [];
    await runChain([step('a', seen, 'async-true'), step('never', seen, false)], scope);
    expect(seen).toEqual(['a']);
  });

  test('a step that throws synchronously rejects the promise instead of throwing to the caller', async () => {
    const seen: string[] = [];
    let result: Promise<void> | undefined;
    expect(
      () => (result = runChain([step('a', seen, false), step('b', seen, 'throw')], scope)),
    ).not.toThrow();
    await expect(result).rejects.toThrow('b broke');
    // After an asynchronous step as well.
    const later = runChain([step('c', seen, 'async-false'), step('d', seen, 'throw')], scope);
    await expect(later).rejects.toThrow('d broke');
  });
});
