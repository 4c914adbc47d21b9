import { Buffer } from 'node:buffer';

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
