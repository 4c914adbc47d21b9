import type { Router } from '../router.js';
import type { TrackingStore } from '../tracking-store.js';

/** The proxied artifact API (`/api/2.0/mlflow-artifacts/artifacts/…`), files under `artifactRoot`. */
export function artifactRoutes(
  _router: Router,
  _store: TrackingStore,
  _options: { artifactRoot: string },
): void {
  // Filled in by the artifacts work (issue 3, item 4).
}
