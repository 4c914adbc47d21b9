import type { Router } from '../router.js';
import type { TrackingStore } from '../tracking-store.js';

/** The model registry routes (registered models, model versions, aliases, tags). */
export function registryRoutes(_router: Router, _store: TrackingStore): void {
  // Filled in by the registry work (issue 3, item 3).
}
