import type { Argv } from 'yargs';
import { TLS_FAULTS, type TlsFault } from '../tls/faults.js';

/** `--tls` and `--tls-fault`, shared by `up` and `exec`. */
export interface TlsArgs {
  tls?: boolean;
  'tls-fault'?: TlsFault[];
}

export function withTlsOptions<T>(y: Argv<T>): Argv<T & TlsArgs> {
  return y
    .option('tls', {
      type: 'boolean',
      describe:
        'serve the proxy, the IdP and the Kubernetes API over HTTPS with a lab CA (default: the config)',
    })
    .option('tls-fault', {
      type: 'array',
      choices: TLS_FAULTS,
      describe: 'serve the tracking URI with a broken certificate (implies --tls); repeatable',
    }) as Argv<T & TlsArgs>;
}

/** The library's `tls` option, or undefined to follow the config's `tls:` section. */
export function tlsOptionFrom(argv: TlsArgs): boolean | { faults: TlsFault[] } | undefined {
  if (argv['tls-fault'] !== undefined && argv['tls-fault'].length > 0) return { faults: argv['tls-fault'] };
  return argv.tls;
}
