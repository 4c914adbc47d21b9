// The failure catalog's entries (DESIGN.md "Scenarios"): what users see, why, the fix, and a reproduction that
// triggers the failure with a real client against a throwaway lab, then applies the fix and checks it.
import type { AuthStack } from '../config/defaults.js';

export interface Scenario {
  id: string;
  title: string;
  /**
   * The auth stack whose failure it is (DESIGN.md "Auth stacks": every stack's failures join one catalog, tagged
   * with their stack); the reproduction runs a lab of that stack, and `byHand` talks to `up --auth <stack>`.
   */
  stack: AuthStack;
  /** The symptom as users meet it, in the words of the client or server that prints it. */
  symptom: string;
  cause: string;
  fix: string;
  /** Which client the reproduction uses to trigger it (and so whose words `observed` holds). */
  client: string;
  /** Where the symptom text comes from (research notes, the real projects' source). */
  source: string;
  /** Commands to reproduce it by hand against `npx mlflow-authlab up` (the lab's own ports and users). */
  byHand: string[];
  run(): Promise<ScenarioOutcome>;
}

export interface ScenarioOutcome {
  /** What the trigger produced: the captured error, status line, body or log line. */
  observed: string;
  /** Whether `observed` is the documented symptom. */
  reproduced: boolean;
  /** What the same call produced with the fix applied. */
  afterFix: string;
  fixed: boolean;
}

export interface ScenarioResult extends ScenarioOutcome {
  id: string;
  title: string;
  stack: AuthStack;
  ok: boolean;
  ms: number;
  /** Set when the run itself failed (not the scenario's symptom): the lab did not start, a client crashed. */
  error?: string;
}
