// In-process start to ready, in a fresh process each time so every round pays the same module loading and cold
// JIT a test file pays in its beforeAll: `node bench/in-process.js ours|oidc-auth|reference|emulator` prints one JSON
// line.
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const STARTERS = {
  async ours() {
    const { startLab } = await import(fileURLToPath(new URL('../dist/index.js', import.meta.url)));
    return async () => {
      const lab = await startLab({ ports: { idp: 0, mlflow: 0 } });
      return () => lab.dispose();
    };
  },
  // The same lab with the oidc-auth stack (issue 19): the mlflow-oidc-auth front door, the IdP as Keycloak.
  async 'oidc-auth'() {
    const { startLab } = await import(fileURLToPath(new URL('../dist/index.js', import.meta.url)));
    return async () => {
      const lab = await startLab({ auth: 'oidc-auth', ports: { idp: 0, mlflow: 0 } });
      return () => lab.dispose();
    };
  },
  // The MLflow emulator alone, as `createMlflowEmulator({ port: 0 })` (bench/emulator.js, issue 3).
  async emulator() {
    const { createMlflowEmulator } = await import(
      fileURLToPath(new URL('../dist/mlflow/emulator/create-emulator.js', import.meta.url))
    );
    return async () => {
      const emulator = await createMlflowEmulator({ port: 0 });
      return () => emulator.dispose();
    };
  },
  async reference() {
    const { OAuth2Server } = await import('oauth2-mock-server');
    return async () => {
      const server = new OAuth2Server();
      await server.issuer.keys.generate('RS256');
      await server.start(0, '127.0.0.1');
      return () => server.stop();
    };
  },
};

const which = process.argv[2];
if (!(which in STARTERS))
  throw new Error(`usage: node bench/in-process.js ${Object.keys(STARTERS).join('|')}`);

const t0 = performance.now();
const start = await STARTERS[which]();
const t1 = performance.now();
const stopFirst = await start();
const t2 = performance.now();
await stopFirst();
// A second start in the same process is what each further test in a warm test worker pays.
const t3 = performance.now();
const stopSecond = await start();
const t4 = performance.now();
await stopSecond();

process.stdout.write(
  `${JSON.stringify({ importMs: t1 - t0, firstStartMs: t2 - t1, secondStartMs: t4 - t3 })}\n`,
);
