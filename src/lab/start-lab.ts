import { createClock, type LabClock } from '../clock.js';
import { loadConfig, resolveObject } from '../config/load.js';
import type { ResolvedLabConfig } from '../config/resolve.js';
import type { LabConfigInput } from '../config/schema.js';
import { AuthlabError } from '../errors.js';
import { createIdp, type StartedIdp } from '../idp/create-idp.js';
import { noopLogger, type Logger } from '../log.js';
import { pickToken, requestToken, type TokenOptions, type TokenResponse } from './request-token.js';

export interface LabOptions {
  /** A lab.yaml path, a config object, or nothing for the default lab (fixtures/lab.yaml). */
  config?: string | LabConfigInput;
  /** Ports; 0 = any free port. Default: the config's ports (IdP 5556). */
  ports?: { idp?: number };
  host?: string;
  /** The lab's one clock; pass one to control time from a test (`lab.clock.advance('25h')`). */
  clock?: LabClock;
  log?: Logger;
}

/** The object `up --json` prints, with the fields of the parts that exist (DESIGN.md "CLI"). */
export interface LabInfo {
  issuer: string;
  tokenEndpoint: string;
}

export interface StartedLab {
  readonly issuer: string;
  readonly tokenEndpoint: string;
  readonly discoveryUrl: string;
  readonly jwksUri: string;
  readonly config: ResolvedLabConfig;
  readonly clock: LabClock;
  readonly idp: StartedIdp;
  /** The token the vendor guide uses: password grant → id_token; client_credentials → access_token. */
  token(options?: TokenOptions): Promise<string>;
  /** The whole token-endpoint response. */
  tokenResponse(options?: TokenOptions): Promise<TokenResponse>;
  /** Signs with a new key from now on; the old key stays in JWKS for the ID-token lifetime. */
  rotateKeys(): Promise<void>;
  info(): LabInfo;
  dispose(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts a lab: today the identity provider; later parts join here in start order. */
export async function startLab(options: LabOptions = {}): Promise<StartedLab> {
  const config =
    typeof options.config === 'string' || options.config === undefined
      ? await loadConfig(options.config === undefined ? {} : { file: options.config })
      : await resolveObject(options.config);
  const clock = options.clock ?? createClock();
  const idp = await createIdp({
    config,
    clock,
    log: options.log ?? noopLogger,
    ...(options.host && { host: options.host }),
    ...(options.ports?.idp !== undefined && { port: options.ports.idp }),
  });

  let disposed = false;
  const live = () => {
    if (disposed)
      throw new AuthlabError('AUTHLAB_DISPOSED', 'this lab has been disposed', {
        hint: 'Start a new one with startLab().',
      });
  };
  let disposing: Promise<void> | undefined;
  const dispose = () => {
    disposed = true;
    return (disposing ??= idp.dispose());
  };
  const tokenResponse = (o: TokenOptions = {}) => {
    live();
    return requestToken(idp.tokenEndpoint, config, o);
  };
  return {
    issuer: idp.issuer,
    tokenEndpoint: idp.tokenEndpoint,
    discoveryUrl: idp.discoveryUrl,
    jwksUri: idp.jwksUri,
    config,
    clock,
    idp,
    tokenResponse,
    token: async (o = {}) => pickToken(await tokenResponse(o), o.grant),
    rotateKeys: () => {
      live();
      return idp.rotateKeys();
    },
    info: () => ({ issuer: idp.issuer, tokenEndpoint: idp.tokenEndpoint }),
    dispose,
    [Symbol.asyncDispose]: dispose,
  };
}
