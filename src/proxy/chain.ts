// One ordered chain of named middlewares (aesthetics.md §4; DESIGN.md `proxy/`). Each step either answers the
// request (returns true) or passes it on; the step names read top to bottom as the request flows.
import type { ProxyContext } from './context.js';
import type { RequestScope } from './scope.js';

export interface Middleware {
  readonly name: string;
  /** True when this step wrote the response and the chain stops. */
  handle(scope: RequestScope): boolean | Promise<boolean>;
}

export type MiddlewareFactory = (ctx: ProxyContext) => Middleware;

/**
 * Runs the chain from step `from`. Undefined when every step answered synchronously (a proxied API call with a
 * known bearer token, handed to the in-process gate): no promise is made for it. Otherwise a promise that settles
 * when a step has answered, rejected if one threw.
 */
export function runChain(
  chain: readonly Middleware[],
  scope: RequestScope,
  from = 0,
): Promise<void> | undefined {
  // Synchronous steps run without an await each: a proxied call passes nine steps, and a promise and an async
  // frame per step were a quarter of what a request allocated.
  for (let i = from; i < chain.length; i++) {
    let answered: boolean | Promise<boolean>;
    try {
      answered = chain[i]!.handle(scope);
    } catch (error) {
      // A step that throws rejects the chain, as an async step does: the caller answers 500, the lab lives on.
      return Promise.reject(error as Error);
    }
    if (answered === true) return undefined;
    if (answered !== false)
      return answered.then((done) => (done ? undefined : runChain(chain, scope, i + 1)));
  }
  return undefined;
}
