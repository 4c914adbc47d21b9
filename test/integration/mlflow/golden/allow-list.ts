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

export const ALLOW_LIST: readonly AllowEntry[] = [
  {
    method: '*',
    path: /^\/(ajax-)?api\/2\.0\/mlflow\/(registered-models|model-versions)\//,
    reason: 'route not built yet: registry',
  },
  { method: '*', path: /^\/(ajax-)?api\/2\.0\/mlflow-artifacts\//, reason: 'route not built yet: artifacts' },
  {
    method: 'GET',
    path: /^\/(ajax-)?api\/2\.0\/mlflow\/artifacts\/list$/,
    reason: 'route not built yet: artifacts',
  },
  {
    method: '*',
    path: /^\/(ajax-)?api\/2\.0\/mlflow\/(experiments|runs)\/search$/,
    reason: 'route not built yet: search',
  },
];

export function allowed(ex: Exchange): AllowEntry | undefined {
  return ALLOW_LIST.find((e) => (e.method === '*' || e.method === ex.method) && e.path.test(ex.path));
}
