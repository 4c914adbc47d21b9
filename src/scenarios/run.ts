import { AuthlabError } from '../errors.js';
import { SCENARIOS } from './catalog.js';
import type { Scenario, ScenarioResult } from './types.js';

export function findScenario(id: string): Scenario {
  const scenario = SCENARIOS.find((s) => s.id === id);
  if (!scenario) {
    throw new AuthlabError('AUTHLAB_INVALID_ARGUMENT', `no scenario "${id}"`, {
      hint: `"mlflow-authlab scenario list" shows them: ${SCENARIOS.map((s) => s.id).join(', ')}.`,
    });
  }
  return scenario;
}

/**
 * Runs one scenario: ok only when the symptom reproduced and the fix worked. A run that fails on its own (the lab
 * did not start, a client crashed) is reported, not thrown, so `--all` goes on with the others.
 */
export async function runScenario(scenario: Scenario): Promise<ScenarioResult> {
  const began = Date.now();
  try {
    const outcome = await scenario.run();
    return {
      id: scenario.id,
      title: scenario.title,
      stack: scenario.stack,
      ...outcome,
      ok: outcome.reproduced && outcome.fixed,
      ms: Date.now() - began,
    };
  } catch (error) {
    return {
      id: scenario.id,
      title: scenario.title,
      stack: scenario.stack,
      observed: '',
      reproduced: false,
      afterFix: '',
      fixed: false,
      ok: false,
      ms: Date.now() - began,
      error: (error as Error)?.message ?? String(error),
    };
  }
}
