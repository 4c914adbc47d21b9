import { defineConfig } from 'vitest/config';

// The same one line as for the default stack; mlflow-authlab.config.json next to this file picks the
// mlflow-oidc-auth stack (Keycloak-flavoured IdP, the plugin's rules in front of MLflow).
export default defineConfig({ test: { globalSetup: ['mlflow-authlab/vitest'], testTimeout: 20_000 } });
