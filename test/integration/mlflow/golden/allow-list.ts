import type { Exchange } from './corpus.js';

/**
 * Exchanges the emulator cannot answer like the real server yet. They are still replayed (later exchanges
 * depend on their effects) and reported as skipped when they differ; an entry whose exchanges all match should
 * go. Every other exchange must match.
 */
export interface AllowEntry {
  /** `*` for every method. */
  method: string;
  /** Matched against the recorded path. */
  path: RegExp;
  reason: string;
}

// Empty: every exchange of the corpus must match. Add an entry only with the reason it cannot (yet).
export const ALLOW_LIST: readonly AllowEntry[] = [];

export function allowed(ex: Exchange): AllowEntry | undefined {
  return ALLOW_LIST.find((e) => (e.method === '*' || e.method === ex.method) && e.path.test(ex.path));
}
