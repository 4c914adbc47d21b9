/**
 * The emulator as a program that takes `mlflow server`'s flags, so the process backend can run it in place of a real
 * MLflow: `--mlflow-command "node dist/mlflow/emulator/server-main.js"`. A test fixture first, also handy for
 * trying the process backend on a machine without Python. Writes only to stderr, as uvicorn does.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createMlflowEmulator, EMULATED_MLFLOW_VERSION, type StartedEmulator } from './create-emulator.js';

export interface ServerFlags {
  host: string;
  port: number;
  /** The directory of `--backend-store-uri sqlite:///<path>`: the emulator keeps its data there. */
  stateDir?: string;
  artifactsDestination?: string;
  /** Flags this program does not know, reported and otherwise ignored. */
  ignored: string[];
}

/** Flags that take a value; every other `--flag` is a switch. */
const VALUED = new Set([
  '--host',
  '-h',
  '--port',
  '-p',
  '--backend-store-uri',
  '--artifacts-destination',
  '--default-artifact-root',
  '--registry-store-uri',
  '--workers',
  '-w',
  '--app-name',
  '--workspace-store-uri',
  '--allowed-hosts',
  '--cors-allowed-origins',
  '--gunicorn-opts',
  '--uvicorn-opts',
  '--waitress-opts',
  '--static-prefix',
  '--expose-prometheus',
]);
/** What the emulator does anyway: workspaces are always on, artifacts always proxied. */
const BUILT_IN = new Set(['--enable-workspaces', '--serve-artifacts', '--dev']);

/** Parses `[server] --flag value …` (also `--flag=value`). */
export function parseServerFlags(argv: string[]): ServerFlags {
  const flags: ServerFlags = { host: '127.0.0.1', port: 5000, ignored: [] };
  const args = argv[0] === 'server' ? argv.slice(1) : argv;
  for (let i = 0; i < args.length; i++) {
    const raw = args[i]!;
    const eq = raw.startsWith('--') ? raw.indexOf('=') : -1;
    const name = eq === -1 ? raw : raw.slice(0, eq);
    const takesValue = VALUED.has(name);
    const value = !takesValue ? undefined : eq === -1 ? args[++i] : raw.slice(eq + 1);
    switch (name) {
      case '--host':
      case '-h':
        if (value !== undefined) flags.host = value;
        break;
      case '--port':
      case '-p':
        flags.port = Number(value);
        break;
      case '--backend-store-uri':
        if (value?.startsWith('sqlite:///')) flags.stateDir = path.dirname(value.slice('sqlite:///'.length));
        else if (value !== undefined)
          flags.ignored.push(`${name} ${value} (only sqlite:///<path> is understood)`);
        break;
      case '--artifacts-destination':
        if (value !== undefined) flags.artifactsDestination = value.replace(/^file:\/\//, '');
        break;
      default:
        if (!BUILT_IN.has(name)) flags.ignored.push(value === undefined ? raw : `${name} ${value}`);
    }
  }
  return flags;
}

/** Starts the emulator with the flags; stops it on SIGINT/SIGTERM unless `handleSignals` is false. */
export async function runMlflowServer(
  argv: string[],
  options: { handleSignals?: boolean } = {},
): Promise<StartedEmulator> {
  const flags = parseServerFlags(argv);
  const say = (line: string) => process.stderr.write(`${line}\n`);
  for (const f of flags.ignored) say(`WARNING:  mlflow-authlab emulator: ignoring ${f}`);
  if (!Number.isInteger(flags.port) || flags.port < 0 || flags.port > 65535) {
    say(`Error: Invalid value for '--port' / '-p': not a valid port`);
    process.exit(2);
  }
  say(`INFO:     Started server process [${process.pid}]`);
  say('INFO:     Waiting for application startup.');
  const emulator = await createMlflowEmulator({
    host: flags.host,
    port: flags.port,
    ...(flags.stateDir !== undefined && { stateDir: flags.stateDir }),
    ...(flags.artifactsDestination !== undefined && { artifactRoot: flags.artifactsDestination }),
  });
  say(`INFO:     Application startup complete. (MLflow ${EMULATED_MLFLOW_VERSION} emulator)`);
  say(`INFO:     Uvicorn running on ${emulator.url.href.replace(/\/$/, '')} (Press CTRL+C to quit)`);
  if (options.handleSignals !== false) {
    const stop = () => {
      say('INFO:     Shutting down');
      void emulator.dispose().then(() => {
        say(`INFO:     Finished server process [${process.pid}]`);
        process.exit(0);
      });
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  }
  return emulator;
}

// Run as a program (node server-main.js server --port …), not when imported by a fixture.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runMlflowServer(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`ERROR:    ${(error as Error)?.message ?? String(error)}\n`);
    process.exit(1);
  });
}
