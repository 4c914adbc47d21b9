// The lab for bench/proxy.js, in a process of its own: the proxy in front of the MLflow emulator, as `up` runs
// them. Prints one JSON line once ready: the proxy URL, the emulator's own URL and a bearer token for alice.
import { startLab } from '../dist/index.js';

const lab = await startLab({
  ports: { proxy: 0, idp: 0, kube: 0, mlflow: 0 },
  mlflow: { backend: 'emulator' },
  env: {},
});
const token = await lab.token({ user: 'alice' });
process.stdout.write(`${JSON.stringify({ proxy: lab.trackingUri, direct: lab.mlflow.url, token })}\n`);
process.on('SIGTERM', () => void lab.dispose().then(() => process.exit(0)));
