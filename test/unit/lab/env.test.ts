import { execFileSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { formatEnv, labEnv } from '../../../src/lab/env.js';

const TRICKY = `it's "quoted" $HOME \`tick\` back\\slash\nnew line`;

describe('env for the stock MLflow SDK', () => {
  test('labEnv names the variables the SDK and the lab read', () => {
    expect(
      labEnv({
        trackingUri: 'http://127.0.0.1:4180',
        issuer: 'http://127.0.0.1:5556/dex',
        kubeApiUrl: 'http://127.0.0.1:6443',
        token: 'eyJ.x.y',
        workspace: 'team-a',
        home: '/w/.mlflow-authlab',
      }),
    ).toEqual({
      MLFLOW_TRACKING_URI: 'http://127.0.0.1:4180',
      MLFLOW_TRACKING_TOKEN: 'eyJ.x.y',
      MLFLOW_WORKSPACE: 'team-a',
      AUTHLAB_ISSUER: 'http://127.0.0.1:5556/dex',
      AUTHLAB_KUBE_API_URL: 'http://127.0.0.1:6443',
      AUTHLAB_HOME: '/w/.mlflow-authlab',
    });
  });

  test('sh output survives eval in a real shell, quotes, dollars and newlines included', () => {
    const script = formatEnv({ A: TRICKY, B: 'plain' }, 'sh');
    const printed = execFileSync('sh', ['-c', `${script}\nprintf '%s|%s' "$A" "$B"`], { encoding: 'utf8' });
    expect(printed).toBe(`${TRICKY}|plain`);
  });

  test('fish, PowerShell, dotenv and JSON quote as their readers expect', () => {
    const vars = { A: `it's \\ "x"` };
    expect(formatEnv(vars, 'fish')).toBe(`set -gx A 'it\\'s \\\\ "x"'`);
    expect(formatEnv(vars, 'powershell')).toBe(`$env:A = 'it''s \\ "x"'`);
    expect(formatEnv(vars, 'dotenv')).toBe(`A="it's \\\\ \\"x\\""`);
    expect(JSON.parse(formatEnv(vars, 'json'))).toEqual(vars);
  });
});
