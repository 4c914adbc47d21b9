import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { LabClock } from '../clock.js';

/** Dex's default garbage-collection period (`gcFrequency`, 5 min). */
export const DEX_GC_PERIOD_SECONDS = 300;

interface Entry {
  payload: AdapterPayload;
  expiresAt: number;
}

/**
 * One in-memory store per lab, expiring on the lab clock. oidc-provider's own memory adapter keeps a single
 * module-wide LRU of 1,000 entries, shared by every provider in the process; two labs in one test run must
 * not share (or evict) each other's sessions.
 */
export class LabStore {
  readonly #entries = new Map<string, Entry>();
  readonly #clock: LabClock;

  constructor(clock: LabClock) {
    this.#clock = clock;
  }

  get(key: string): AdapterPayload | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.#clock.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.payload;
  }

  set(key: string, payload: AdapterPayload, expiresInSeconds?: number): void {
    const expiresAt = expiresInSeconds === undefined ? Infinity : this.#clock.now() + expiresInSeconds * 1000;
    this.#entries.set(key, { payload, expiresAt });
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  /** The adapter oidc-provider asks for, one per model name. */
  adapterFor(model: string): Adapter {
    const key = (id: string) => `${model}:${id}`;
    // Dex deletes expired auth codes only when its garbage collector runs (every 5 min); until then an expired
    // code still exists, which is what gives the 500 quirk of oauth2-proxy-and-dex.md §B4.
    const grace = model === 'AuthorizationCode' ? DEX_GC_PERIOD_SECONDS : 0;
    return {
      upsert: async (id, payload, expiresIn) => {
        // oidc-provider stamps iat/exp from the system clock; a code must expire on the lab clock instead, or a
        // login after `lab.clock.advance('168h')` would redeem an already "stale" code.
        if (model === 'AuthorizationCode' && expiresIn !== undefined) {
          const now = this.#clock.nowSeconds();
          payload = { ...payload, iat: now, exp: now + expiresIn };
        }
        if (expiresIn !== undefined) expiresIn += grace;
        this.set(key(id), payload, expiresIn);
        if (payload.uid) this.set(`${model}:uid:${payload.uid}`, { ...payload, jti: id }, expiresIn);
        if (payload.userCode)
          this.set(`${model}:userCode:${payload.userCode}`, { ...payload, jti: id }, expiresIn);
      },
      find: async (id) => this.get(key(id)),
      findByUid: async (uid) => this.get(`${model}:uid:${uid}`),
      findByUserCode: async (code) => this.get(`${model}:userCode:${code}`),
      consume: async (id) => {
        const entry = this.get(key(id));
        if (entry) entry.consumed = this.#clock.nowSeconds();
      },
      destroy: async (id) => this.delete(key(id)),
      revokeByGrantId: async (grantId) => {
        for (const [k, e] of this.#entries) if (e.payload.grantId === grantId) this.#entries.delete(k);
      },
    };
  }
}
