/**
 * A local stand-in for the official MLflow image, for machines that reach no registry (CI among them): a root
 * filesystem holding the Node binary these tests run on, the shared libraries `ldd` lists for it, the built
 * emulator, and an executable `mlflow` that runs the emulator's `mlflow server`-compatible entry point. It takes
 * the same `mlflow server …` command as the official image, so the container backend runs it unchanged. Built
 * through the engine's build API (FROM scratch), the path the plugin image takes too (DESIGN.md, "Container
 * engine in CI").
 *
 * It stands in for the mlflow-oidc-auth plugin image too: `mlflow server … --app-name oidc-auth` runs the lab's own
 * oidc-auth front door in front of the emulator (fixtures/oidc-auth-standin.mjs), configured only from the
 * environment and flags the lab hands the real plugin.
 */
import { execFileSync } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ContainerEngine } from '../../../src/mlflow/backends/engine.js';
import { buildImage, contentTag } from '../../../src/mlflow/backends/images.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The Node binary and the libraries it links, as absolute paths (`ldd` output, the vDSO left out). */
function nodeAndLibraries(): string[] {
  const out = execFileSync('ldd', [process.execPath], { encoding: 'utf8' });
  const libs = [...out.matchAll(/(\/\S+)\s+\(0x/g)].map((m) => m[1]!);
  return [process.execPath, ...libs];
}

/** Where the oidc-auth stand-in sits in the image: the repository's layout, so its `../../../../dist` is /app/dist. */
const OIDC_STANDIN = 'test/e2e/backends/fixtures/oidc-auth-standin.mjs';

const MLFLOW_SCRIPT = `#!/usr/local/bin/node
// mlflow-authlab stand-in: "mlflow server …" runs the emulator with those flags; with "--app-name oidc-auth", the
// lab's oidc-auth front door in front of it.
const argv = process.argv.slice(2);
const app = argv[argv.indexOf('--app-name') + 1];
if (argv.includes('--app-name') && app === 'oidc-auth')
  import('/app/${OIDC_STANDIN}').then((m) => m.runOidcAuthServer(argv));
else import('/app/dist/mlflow/emulator/server-main.js').then((m) => m.runMlflowServer(argv));
`;

/** The packages the built code imports at run time in the image: zod (the emulator), jose and undici (oidc-auth). */
const PACKAGES = ['zod', 'jose', 'undici'];

/** Builds (once per content) and returns the stand-in's tag, e.g. `localhost/mlflow-authlab-standin:1a2b…`. */
export async function buildStandinImage(
  engine: ContainerEngine,
  onProgress?: (m: string) => void,
): Promise<string> {
  const context = await mkdtemp(path.join(tmpdir(), 'authlab-standin-'));
  try {
    const rootfs = path.join(context, 'rootfs');
    for (const file of nodeAndLibraries()) {
      const target = file === process.execPath ? '/usr/local/bin/node' : file;
      await mkdir(path.join(rootfs, path.dirname(target)), { recursive: true });
      await cp(file, path.join(rootfs, target), { dereference: true });
    }
    await mkdir(path.join(rootfs, 'app', 'node_modules'), { recursive: true });
    await mkdir(path.join(rootfs, 'tmp'), { recursive: true });
    await cp(path.join(ROOT, 'dist'), path.join(rootfs, 'app', 'dist'), { recursive: true });
    for (const name of PACKAGES) {
      await cp(path.join(ROOT, 'node_modules', name), path.join(rootfs, 'app', 'node_modules', name), {
        recursive: true,
      });
    }
    await mkdir(path.join(rootfs, 'app', path.dirname(OIDC_STANDIN)), { recursive: true });
    await cp(path.join(ROOT, OIDC_STANDIN), path.join(rootfs, 'app', OIDC_STANDIN));
    await writeFile(path.join(rootfs, 'app', 'package.json'), JSON.stringify({ type: 'module' }));
    await writeFile(path.join(rootfs, 'usr', 'local', 'bin', 'mlflow'), MLFLOW_SCRIPT);
    await chmod(path.join(rootfs, 'usr', 'local', 'bin', 'mlflow'), 0o755);
    await writeFile(
      path.join(context, 'Dockerfile'),
      'FROM scratch\nCOPY rootfs/ /\nENV PATH=/usr/local/bin:/usr/bin:/bin\nCMD ["mlflow", "server", "--host", "0.0.0.0"]\n',
    );
    const tag = await contentTag('localhost/mlflow-authlab-standin', context, {});
    await buildImage(engine.docker, { context, tag, ...(onProgress && { onProgress }) });
    return tag;
  } finally {
    await rm(context, { recursive: true, force: true });
  }
}
