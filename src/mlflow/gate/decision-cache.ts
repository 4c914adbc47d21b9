// The plugin's decision cache (mlflow-workspaces-k8s-auth.md §8 `_AuthorizationCache`): keyed by identity hash,
// namespace, resource, subresource, verb and effective name; allows and denials both cached; errors never; TTL on
// the lab clock, so "I removed the RoleBinding and it still works for five minutes" reproduces.
import type { LabClock } from '../../clock.js';
import type { ResourceAttributes } from '../../kube/types.js';

const MAX_ENTRIES = 10_000;

export class DecisionCache {
  readonly #entries = new Map<string, { allowed: boolean; expiresAt: number }>();
  constructor(
    private readonly clock: LabClock,
    private readonly ttlMs: number,
  ) {}

  static key(identity: string, a: ResourceAttributes): string {
    return `${identity}\0${a.namespace ?? ''}\0${a.resource ?? ''}\0${a.subresource ?? ''}\0${a.verb ?? ''}\0${a.name ?? ''}`;
  }

  get(key: string): boolean | undefined {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= this.clock.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return e.allowed;
  }

  set(key: string, allowed: boolean): void {
    const now = this.clock.now();
    // Expired entries go when the cache is full (a sweep on every insert would be O(n) per request), then the
    // oldest beyond the bound; `get` drops an expired entry it meets, so no stale answer is ever returned.
    if (this.#entries.size >= MAX_ENTRIES)
      for (const [k, e] of this.#entries) if (e.expiresAt <= now) this.#entries.delete(k);
    while (this.#entries.size >= MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, { allowed, expiresAt: now + this.ttlMs });
  }

  clear(): void {
    this.#entries.clear();
  }
}
