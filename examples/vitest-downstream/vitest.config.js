import { defineConfig } from 'vitest/config';

// The one line: a lab (IdP, proxy, kubernetes-auth gate, MLflow) for the whole run, on free ports.
export default defineConfig({ test: { globalSetup: ['mlflow-authlab/vitest'], testTimeout: 20_000 } });
