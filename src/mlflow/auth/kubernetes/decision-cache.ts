// The plugin's decision cache (mlflow-workspaces-k8s-auth.md §8 `_AuthorizationCache`): keyed by identity hash,
// namespace, resource, subresource, verb and effective name; allows and denials both cached; errors never; TTL on
// the lab clock, so "I removed the RoleBinding and it still works for five minutes" reproduces.
import type { LabClock } from '../../../clock.js';
import type { ResourceAttributes } from '../../../kube/types.js';

const MAX_ENTRIES = 10_000;

interface Entry {
  allowed: boolean;
  expiresAt: number;
  /** Insertion order across identities; kept when an entry is set again, as a Map keeps a key's place. */
  seq: number;
}

/**
 * Kept by identity, then by the rest of the key (`DecisionCache.key`): both parts are strings a request already
 * holds (the identity's hash, a rule's review), so a lookup joins and hashes no new string.
 */
export class DecisionCache {
  readonly #byIdentity = new Map<string, Map<string, Entry>>();
  #size = 0;
  #seq = 0;
  constructor(
    private readonly clock: LabClock,
    private readonly ttlMs: number,
  ) {}

  /** The key of a review past the identity: namespace, resource, subresource, verb and name. */
  static key(a: ResourceAttributes): string {
    return `${a.namespace ?? ''}\0${a.resource ?? ''}\0${a.subresource ?? ''}\0${a.verb ?? ''}\0${a.name ?? ''}`;
  }

  get(identity: string, key: string): boolean | undefined {
    const entries = this.#byIdentity.get(identity);
    const e = entries?.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= this.clock.now()) {
      this.#delete(identity, entries!, key);
      return undefined;
    }
    return e.allowed;
  }

  set(identity: string, key: string, allowed: boolean): void {
    const now = this.clock.now();
    // Expired entries go when the cache is full (a sweep on every insert would be O(n) per request), then the
    // oldest beyond the bound; `get` drops an expired entry it meets, so no stale answer is ever returned.
    if (this.#size >= MAX_ENTRIES)
      for (const [id, entries] of this.#byIdentity)
        for (const [k, e] of entries) if (e.expiresAt <= now) this.#delete(id, entries, k);
    let entries = this.#byIdentity.get(identity);
    const prior = entries?.get(key);
    if (prior === undefined) while (this.#size >= MAX_ENTRIES) this.#deleteOldest();
    if (entries === undefined || !this.#byIdentity.has(identity))
      this.#byIdentity.set(identity, (entries = entries ?? new Map()));
    if (prior === undefined) this.#size++;
    entries.set(key, { allowed, expiresAt: now + this.ttlMs, seq: prior?.seq ?? this.#seq++ });
  }

  /** The entry set first, whoever it is for (a full cache only: a walk over all of them). */
  #deleteOldest(): void {
    let oldest: { identity: string; entries: Map<string, Entry>; key: string; seq: number } | undefined;
    for (const [identity, entries] of this.#byIdentity)
      for (const [key, e] of entries)
        if (oldest === undefined || e.seq < oldest.seq) oldest = { identity, entries, key, seq: e.seq };
    if (oldest) this.#delete(oldest.identity, oldest.entries, oldest.key);
  }

  clear(): void {
    this.#byIdentity.clear();
    this.#size = 0;
  }

  #delete(identity: string, entries: Map<string, Entry>, key: string): void {
    if (!entries.delete(key)) return;
    this.#size--;
    if (entries.size === 0) this.#byIdentity.delete(identity);
  }
}
