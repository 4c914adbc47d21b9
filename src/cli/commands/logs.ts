import type { Argv, CommandModule } from 'yargs';
import { AuthlabError } from '../../errors.js';
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { requireLabState, stateFilePath } from '../../lab/state-file.js';
import type { GateDecision } from '../../mlflow/auth/kubernetes/create-gate.js';
import { out } from '../output.js';

interface LogsArgs {
  decisions: boolean;
  follow: boolean;
  json: boolean;
  limit: number;
}

/** One decision as a line a person can scan: when, what, who, where, the answer, and each review behind it. */
export function decisionLine(d: GateDecision): string {
  const reviews = d.reviews
    .map((r) => {
      const a = r.attributes;
      const what = `${a.verb} ${a.resource}${a.subresource ? `/${a.subresource}` : ''}${a.name ? ` "${a.name}"` : ''}`;
      return `${what} in ${a.namespace ?? '(cluster)'}: ${r.allowed ? 'allowed' : 'denied'}${r.cached ? ' (cached)' : ''}`;
    })
    .join('; ');
  return (
    `${d.at} ${d.method} ${d.path} workspace=${d.workspace ?? '-'} user=${d.username ?? '-'} → ${d.status} ${d.outcome}` +
    (reviews ? `\n    ${reviews}` : '')
  );
}

/** The detached lab's `lab.log` beside its state file; with `follow`, new lines as they are written. */
async function printLog(follow: boolean): Promise<void> {
  const file = path.join(path.dirname(stateFilePath()), 'lab.log');
  let size: number;
  try {
    const text = await readFile(file, 'utf8');
    out.result(text);
    size = Buffer.byteLength(text);
  } catch {
    throw new AuthlabError('AUTHLAB_LAB_NOT_RUNNING', `no lab log at ${file}`, {
      hint: 'Only a lab started with "up --detach" writes lab.log; a foreground lab logs to its terminal.',
    });
  }
  if (!follow) return;
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    const handle = await open(file, 'r');
    try {
      const { size: now } = await handle.stat();
      if (now > size) {
        const chunk = Buffer.alloc(now - size);
        await handle.read(chunk, 0, chunk.length, size);
        out.raw(chunk);
        size = now;
      }
    } finally {
      await handle.close();
    }
  }
}

export const logsCommand: CommandModule<object, LogsArgs> = {
  command: 'logs',
  describe:
    "Show the running lab's kubernetes-auth decisions (which identity, workspace, resource, verb, name, and why)",
  builder: (y: Argv) =>
    y
      .option('decisions', {
        type: 'boolean',
        default: false,
        describe: "the gate's decisions, newest first",
      })
      .option('json', { type: 'boolean', default: false, describe: 'print them as JSON' })
      .option('limit', {
        type: 'number',
        default: 50,
        describe: 'how many (newest first)',
      }) as Argv<LogsArgs>,
  handler: async (argv) => {
    if (!argv.decisions) return printLog(argv.follow);
    const state = await requireLabState();
    if (!state.decisionsUrl)
      throw new AuthlabError('AUTHLAB_INVALID_ARGUMENT', 'the running lab has no kubernetes-auth gate', {
        hint: 'The gate runs in front of MLflow; start the lab without "--mlflow none".',
      });
    const res = await fetch(state.decisionsUrl, {
      headers: state.controlToken ? { authorization: `Bearer ${state.controlToken}` } : {},
    });
    if (res.status !== 200)
      throw new AuthlabError(
        'AUTHLAB_LAB_NOT_RUNNING',
        `the lab's decision log answered ${res.status}: ${(await res.text()).slice(0, 300)}`,
        {
          hint: `The state file ${state.stateFile} may belong to another lab; restart the lab, or check AUTHLAB_HOME.`,
        },
      );
    const { decisions } = (await res.json()) as { decisions: GateDecision[] };
    const shown = decisions.slice(0, argv.limit);
    if (argv.json) out.json(shown);
    else out.result(shown.length === 0 ? '(no decisions yet)' : shown.map(decisionLine).join('\n'));
  },
};
