// `mlflow-authlab/jest/global-teardown`: stops the lab globalSetup started (the handle lives on globalThis, which
// jest shares between globalSetup and globalTeardown only).
export default async function globalTeardown(): Promise<void> {
  await globalThis.__AUTHLAB__?.dispose();
  globalThis.__AUTHLAB__ = undefined;
}
