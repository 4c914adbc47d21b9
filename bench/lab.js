// How the bench reaches the lab: the command that starts it, and the token request it answers.
import { Buffer } from 'node:buffer';
import { fileURLToPath } from 'node:url';

/**
 * The lab as the bench starts it: `mlflow-authlab up --json` with the emulator on free ports (DESIGN.md's figures
 * are the emulator lab's; `auto` would add the container engine's probe). Node's own flags go before these.
 */
export const UP_ARGS = [
  fileURLToPath(new URL('../dist/cli/main.js', import.meta.url)),
  'up',
  '--mlflow',
  'emulator',
  '--port',
  '0',
  '--idp-port',
  '0',
  '--mlflow-port',
  '0',
  '--json',
];

/**
 * The password grant as `mlflow-authlab token` and the vendor guide's curl send it: the token load of bench/run.js
 * and alice's bearer token in bench/proxy.js.
 */
export const TOKEN_REQUEST = {
  method: 'POST',
  headers: {
    'content-type': 'application/x-www-form-urlencoded',
    authorization: `Basic ${Buffer.from('mlflow-cli:mlflow-cli-secret').toString('base64')}`,
  },
  body: 'grant_type=password&username=alice%40example.com&password=alice-password&scope=openid%20email%20groups%20profile',
};
