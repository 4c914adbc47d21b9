import { randomBytes } from 'node:crypto';
import type { LabClock } from '../clock.js';
import type { Principal } from './mint.js';

export interface RefreshRecord {
  principal: Principal;
  clientId: string;
  scopes: string[];
  peers: string[];
  nonce?: string;
  sessionId?: string;
  expiresAt: number;
}

export type Redeemed =
  { ok: true; record: RefreshRecord } | { ok: false; reason: 'unknown' | 'expired' | 'other-client' };

/**
 * Refresh tokens are opaque and single-use: redeeming one issues the next (Dex rotates them, §B4). Expiry
 * reads the lab clock.
 */
export class RefreshStore {
  readonly #records = new Map<string, RefreshRecord>();
  readonly #clock: LabClock;
  readonly #lifetimeMs: number;

  constructor(clock: LabClock, lifetimeMs: number) {
    this.#clock = clock;
    this.#lifetimeMs = lifetimeMs;
  }

  issue(record: Omit<RefreshRecord, 'expiresAt'>): string {
    const token = randomBytes(32).toString('base64url');
    this.#records.set(token, { ...record, expiresAt: this.#clock.now() + this.#lifetimeMs });
    return token;
  }

  redeem(token: string, clientId: string): Redeemed {
    const record = this.#records.get(token);
    if (!record) return { ok: false, reason: 'unknown' };
    if (record.clientId !== clientId) return { ok: false, reason: 'other-client' };
    this.#records.delete(token);
    if (record.expiresAt <= this.#clock.now()) return { ok: false, reason: 'expired' };
    return { ok: true, record };
  }

  get size(): number {
    return this.#records.size;
  }
}
