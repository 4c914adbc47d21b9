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

export async function runChain(chain: readonly Middleware[], scope: RequestScope): Promise<void> {
  for (const step of chain) {
    if (await step.handle(scope)) return;
  }
}
