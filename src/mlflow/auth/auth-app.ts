// The one contract of the auth apps the lab emulates in front of MLflow (DESIGN.md "Auth stacks"), so the stacks are
// siblings: src/mlflow/auth/<stack>/ starts one, the lab keeps it as `lab.authApp`, resets and stops it alike. Where
// an app sits differs with the real thing it copies: the kubernetes-auth plugin runs inside MLflow behind
// oauth2-proxy, so its gate is handed requests by the lab's proxy (in-process, HTTP otherwise); mlflow-oidc-auth
// replaces MLflow's app with its own (`--app-name oidc-auth` serves /login, /callback and the API), so its emulation
// is the front door itself. The settings each passes to its real app (`--mlflow-plugin <stack>`, the emulation
// then off) are mlflow/backends/plugins.ts's MlflowPluginSetup; its failures are catalog entries tagged with it.
import type { AuthStack } from '../../config/defaults.js';

export interface AuthApp {
  /** The stack it is the auth app of. */
  readonly stack: AuthStack;
  /** Where it answers: behind the lab's front door (the gate), or the tracking URI itself (oidc-auth). */
  url: URL;
  /** Whether it is the tracking URI (its own front door) or sits behind the lab's oauth2-proxy. */
  readonly frontDoor: boolean;
  /**
   * Back to how the lab started it, as a restart of the real app with the lab's seed would be: the gate forgets its
   * cached decisions (the plugin's cache is per process); oidc-auth's database goes back to the seed.
   */
  reset(): void;
  dispose(): Promise<void>;
}
