import { readFile } from 'node:fs/promises';
import { AuthlabError } from '../errors.js';
import type { LabState } from '../lab/state-file.js';
import { fetchTrusting } from '../trusted-fetch.js';

/**
 * How the CLI talks to the running lab: trusting its CA bundle when it serves HTTPS (the bundle `env` hands to
 * every client), plain fetch otherwise.
 */
export async function labFetch(state: LabState | undefined): Promise<typeof fetch> {
  if (state?.caFile === undefined) return globalThis.fetch;
  let pem: string;
  try {
    pem = await readFile(state.caFile, 'utf8');
  } catch (cause) {
    throw new AuthlabError(
      'AUTHLAB_STATE_INVALID',
      `the running lab's CA bundle ${state.caFile} cannot be read`,
      {
        cause,
        hint: 'Restart the lab ("mlflow-authlab down", then "up --tls").',
      },
    );
  }
  return fetchTrusting(pem);
}
