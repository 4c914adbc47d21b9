/** Runs the built CLI's `up --json` on free ports and resolves once it prints its JSON line (the lab is ready). */
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';

const BIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const FREE_PORTS = ['--port', '0', '--idp-port', '0', '--kube-port', '0', '--mlflow-port', '0'];

export interface UpJson {
  child: ResultPromise<{ reject: false; buffer: false }>;
  // The object `up --json` prints (LabInfo plus stateFile and pid).
  info: Record<string, any>;
  stderr(): string;
}

export async function upJson(options: {
  cwd: string;
  env: Record<string, string>;
  args?: string[];
}): Promise<UpJson> {
  const child = execa(process.execPath, [BIN, 'up', ...FREE_PORTS, '--json', ...(options.args ?? [])], {
    cwd: options.cwd,
    env: options.env,
    reject: false,
    buffer: false,
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const info = await new Promise<UpJson['info']>((resolve, reject) => {
    let text = '';
    child.stdout.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes('\n')) resolve(JSON.parse(text.split('\n')[0]!) as UpJson['info']);
    });
    void child.then((r) => reject(new Error(`up exited ${r.exitCode} before it was ready:\n${stderr}`)));
  });
  return { child, info, stderr: () => stderr };
}
