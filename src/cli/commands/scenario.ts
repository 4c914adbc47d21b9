import type { Argv, CommandModule } from 'yargs';
import { AuthlabError } from '../../errors.js';
import { SCENARIOS } from '../../scenarios/catalog.js';
import { scenarioTable } from '../../scenarios/markdown.js';
import { findScenario, runScenario } from '../../scenarios/run.js';
import type { Scenario, ScenarioResult } from '../../scenarios/types.js';
import { out } from '../output.js';

interface ScenarioArgs {
  action: 'list' | 'show' | 'run';
  id?: string;
  all: boolean;
  json: boolean;
  markdown: boolean;
}

/** `scenario list|show|run`: the failure catalog (DESIGN.md "CLI", "Scenarios"). */
export const scenarioCommand: CommandModule<object, ScenarioArgs> = {
  command: 'scenario <action> [id]',
  describe: 'The failure catalog: list, show <id>, run <id>|--all (each in a throwaway lab)',
  builder: (y: Argv) =>
    y
      .positional('action', { choices: ['list', 'show', 'run'] as const, describe: 'what to do' })
      .positional('id', { type: 'string', describe: 'a scenario id (see "scenario list")' })
      .option('all', { type: 'boolean', default: false, describe: 'with run: every scenario' })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON' })
      .option('markdown', {
        type: 'boolean',
        default: false,
        describe: "with list: the README's catalog table",
      }) as Argv<ScenarioArgs>,
  handler: async (argv) => {
    if (argv.action === 'list') return argv.markdown ? out.result(scenarioTable()) : list(argv.json);
    if (argv.action === 'show') return show(required(argv.id, 'show'), argv.json);
    const scenarios = argv.all ? SCENARIOS : [findScenario(required(argv.id, 'run'))];
    if (argv.all && argv.id !== undefined) {
      throw new AuthlabError('AUTHLAB_INVALID_ARGUMENT', 'give a scenario id or --all, not both', {
        hint: 'mlflow-authlab scenario run --all',
      });
    }
    const results: ScenarioResult[] = [];
    for (const s of scenarios) {
      if (!argv.json) out.info(`running ${s.id}…`);
      const result = await runScenario(s);
      results.push(result);
      if (!argv.json) out.result(formatResult(result));
    }
    const failed = results.filter((r) => !r.ok);
    if (argv.json) out.json(argv.all ? { ok: failed.length === 0, results } : results[0]);
    else if (argv.all) {
      out.result(
        `\n${results.length - failed.length} of ${results.length} scenarios reproduced and fixed${failed.length ? `; failed: ${failed.map((r) => r.id).join(', ')}` : ''}`,
      );
    }
    if (failed.length > 0) process.exitCode = 1;
  },
};

function required(id: string | undefined, action: string): string {
  if (id !== undefined) return id;
  throw new AuthlabError('AUTHLAB_INVALID_ARGUMENT', `scenario ${action} needs an id`, {
    hint: `"mlflow-authlab scenario list" shows them${action === 'run' ? '; --all runs every one' : ''}.`,
  });
}

function describe(s: Scenario) {
  return {
    id: s.id,
    stack: s.stack,
    title: s.title,
    symptom: s.symptom,
    cause: s.cause,
    fix: s.fix,
    client: s.client,
    source: s.source,
    byHand: s.byHand,
  };
}

function list(json: boolean): void {
  if (json) return out.json(SCENARIOS.map(describe));
  const width = Math.max(...SCENARIOS.map((s) => s.id.length));
  const stackWidth = Math.max(...SCENARIOS.map((s) => s.stack.length));
  out.result(
    SCENARIOS.map((s) => `${s.id.padEnd(width)}  ${s.stack.padEnd(stackWidth)}  ${s.title}`).join('\n'),
  );
}

/** The command that starts a lab of the scenario's stack (the default stack needs no flag). */
const upFor = (s: Scenario) =>
  s.stack === 'kubernetes-auth' ? 'npx mlflow-authlab up' : `npx mlflow-authlab up --auth ${s.stack}`;

function show(id: string, json: boolean): void {
  const s = findScenario(id);
  if (json) return out.json(describe(s));
  out.result(
    [
      `${s.id}: ${s.title}`,
      '',
      `stack    ${s.stack}`,
      `symptom  ${s.symptom}`,
      `cause    ${s.cause}`,
      `fix      ${s.fix}`,
      `client   ${s.client}`,
      `source   ${s.source}`,
      '',
      `by hand (against "${upFor(s)}"):`,
      ...s.byHand.map((c) => `  ${c}`),
      '',
      `automated: npx mlflow-authlab scenario run ${s.id}`,
    ].join('\n'),
  );
}

function formatResult(r: ScenarioResult): string {
  const mark = r.ok ? 'PASS' : 'FAIL';
  if (r.error !== undefined) return `${mark}  ${r.id} (${r.ms} ms): the run failed: ${r.error}`;
  return [
    `${mark}  ${r.id} (${r.ms} ms)`,
    `  symptom  ${r.reproduced ? 'reproduced' : 'NOT reproduced'}: ${r.observed}`,
    `  fix      ${r.fixed ? 'works' : 'did NOT work'}: ${r.afterFix}`,
  ].join('\n');
}
