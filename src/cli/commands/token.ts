import type { Argv, CommandModule } from 'yargs';
import { loadConfig } from '../../config/load.js';
import { pickToken, requestToken, type TokenOptions } from '../../lab/request-token.js';
import { requireLabState } from '../../lab/state-file.js';
import { AuthlabError } from '../../errors.js';
import { labFetch } from '../lab-fetch.js';
import { out } from '../output.js';

interface TokenArgs {
  user?: string;
  password?: string;
  client?: string;
  'client-secret'?: string;
  grant: 'password' | 'client_credentials';
  scope?: string;
  'expires-in'?: string;
  audience?: string;
  issuer?: string;
  json: boolean;
}

export const tokenCommand: CommandModule<object, TokenArgs> = {
  command: 'token',
  describe: 'Mint a token from the running lab (or --issuer) and print it',
  builder: (y: Argv) =>
    y
      .option('user', {
        type: 'string',
        describe: 'lab user (name or e-mail); password grant (default alice)',
      })
      .option('password', { type: 'string', describe: "the user's password (default: from the lab config)" })
      .option('client', {
        type: 'string',
        describe: 'client id (default mlflow-cli, or mlflow for client_credentials)',
      })
      .option('client-secret', { type: 'string', describe: 'client secret (default: from the lab config)' })
      .option('grant', { choices: ['password', 'client_credentials'] as const, default: 'password' as const })
      .option('scope', { type: 'string', describe: 'space-separated scopes' })
      .option('expires-in', { type: 'string', describe: 'lifetime of the tokens, e.g. 90s, 15m' })
      .option('audience', {
        type: 'string',
        describe: 'extra audience (Dex scope audience:server:client_id:A)',
      })
      .option('issuer', {
        type: 'string',
        describe: 'another issuer than the running lab (needs --password, --client-secret)',
      })
      .option('json', {
        type: 'boolean',
        default: false,
        describe: 'print the whole token response',
      }) as Argv<TokenArgs>,
  handler: async (argv) => {
    let tokenEndpoint: string;
    let config;
    let fetchImpl = globalThis.fetch;
    if (argv.issuer) {
      tokenEndpoint = await discoverTokenEndpoint(argv.issuer);
    } else {
      const state = await requireLabState();
      tokenEndpoint = state.tokenEndpoint;
      fetchImpl = await labFetch(state);
      config = await loadConfig({ file: state.configFile });
    }
    const options: TokenOptions = {
      grant: argv.grant,
      ...(argv.user !== undefined && { user: argv.user }),
      ...(argv.password !== undefined && { password: argv.password }),
      ...(argv.client !== undefined && { client: argv.client }),
      ...(argv['client-secret'] !== undefined && { clientSecret: argv['client-secret'] }),
      ...(argv.scope !== undefined && { scope: argv.scope }),
      ...(argv['expires-in'] !== undefined && { expiresIn: argv['expires-in'] }),
      ...(argv.audience !== undefined && { audience: argv.audience }),
    };
    const response = await requestToken(tokenEndpoint, config, options, fetchImpl);
    if (argv.json) out.json(response);
    else out.result(pickToken(response, argv.grant));
  },
};

async function discoverTokenEndpoint(issuer: string): Promise<string> {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  try {
    const doc = (await (await fetch(url)).json()) as { token_endpoint?: string };
    if (typeof doc.token_endpoint === 'string') return doc.token_endpoint;
  } catch (cause) {
    throw new AuthlabError('AUTHLAB_TOKEN_REQUEST_FAILED', `cannot read the discovery document ${url}`, {
      cause,
      hint: 'Check --issuer: it must be the exact issuer URL (no trailing slash).',
    });
  }
  throw new AuthlabError('AUTHLAB_TOKEN_REQUEST_FAILED', `no token_endpoint in ${url}`, {
    hint: 'Check --issuer: it must be the exact issuer URL.',
  });
}
