import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { AuthlabError } from '../errors.js';
import type { LabOptions } from '../lab/start-lab.js';

export const CONFIG_FILE = 'mlflow-authlab.config.json';

/**
 * The lab options of a test run: `mlflow-authlab.config.json` in the working directory (startLab's options as
 * JSON: config, mlflow, tls, ports…), else the defaults (the default lab, the emulator, free ports).
 */
export function testRunOptions(cwd = process.cwd()): LabOptions {
  const file = path.join(cwd, CONFIG_FILE);
  let options: LabOptions = {};
  if (existsSync(file)) {
    try {
      options = JSON.parse(readFileSync(file, 'utf8')) as LabOptions;
    } catch (error) {
      throw new AuthlabError(
        'AUTHLAB_CONFIG_INVALID',
        `${file} is not valid JSON: ${(error as Error).message}`,
        {
          hint: 'It holds startLab() options as JSON, e.g. {"mlflow": {"backend": "emulator"}, "tls": true}.',
        },
      );
    }
    if (typeof options.config === 'string')
      options = { ...options, config: path.resolve(cwd, options.config) };
  }
  // Free ports by default: test runs must not collide with a lab someone runs by hand.
  return { ...options, ports: { proxy: 0, idp: 0, kube: 0, mlflow: 0, ...options.ports } };
}
