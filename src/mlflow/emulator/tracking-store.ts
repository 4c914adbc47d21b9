import { randomUUID } from 'node:crypto';
import type { LabClock } from '../../clock.js';
import { MlflowError, invalidParameter } from './errors.js';

export interface Workspace {
  name: string;
  description?: string;
}

export interface Experiment {
  id: string;
  name: string;
  workspace: string;
  artifactLocation: string;
  lifecycleStage: 'active' | 'deleted';
  creationTime: number;
  lastUpdateTime: number;
  tags: Map<string, string>;
}

export interface Metric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

export interface Run {
  id: string;
  experimentId: string;
  name: string;
  userId: string;
  status: string;
  startTime: number;
  endTime?: number;
  artifactUri: string;
  lifecycleStage: 'active' | 'deleted';
  tags: Map<string, string>;
  params: Map<string, string>;
  /** Latest value per key (MLflow's latest_metrics), in first-logged order. */
  latest: Map<string, Metric>;
  history: Map<string, Metric[]>;
}

export const DEFAULT_WORKSPACE = 'default';
export const DEFAULT_WORKSPACE_DESCRIPTION = 'Default workspace for legacy resources';

/**
 * The emulator's tracking state: workspaces, experiments and runs, scoped per workspace as MLflow's SQL store
 * with `--enable-workspaces` scopes them. Experiment ids are global and sequential; the default workspace owns
 * the built-in `Default` experiment "0".
 */
export class TrackingStore {
  readonly workspaces = new Map<string, Workspace>();
  readonly experiments = new Map<string, Experiment>();
  readonly runs = new Map<string, Run>();
  #nextExperimentId = 0;
  readonly #clock: LabClock;

  constructor(clock: LabClock) {
    this.#clock = clock;
    this.reset();
  }

  now(): number {
    return this.#clock.now();
  }

  reset(): void {
    this.workspaces.clear();
    this.experiments.clear();
    this.runs.clear();
    this.#nextExperimentId = 0;
    this.workspaces.set(DEFAULT_WORKSPACE, {
      name: DEFAULT_WORKSPACE,
      description: DEFAULT_WORKSPACE_DESCRIPTION,
    });
    this.createExperiment(DEFAULT_WORKSPACE, 'Default', []);
  }

  // --- experiments -------------------------------------------------------------------------------------

  createExperiment(
    workspace: string,
    name: string,
    tags: Array<[string, string]>,
    artifactLocation?: string,
  ): Experiment {
    for (const e of this.experiments.values()) {
      if (e.workspace === workspace && e.name === name) {
        throw new MlflowError(
          'RESOURCE_ALREADY_EXISTS',
          `Experiment(name=${name}) already exists. Error: (sqlite3.IntegrityError) UNIQUE constraint failed: experiments.workspace, experiments.name`,
        );
      }
    }
    const id = String(this.#nextExperimentId++);
    const now = this.now();
    const experiment: Experiment = {
      id,
      name,
      workspace,
      artifactLocation: artifactLocation ?? `mlflow-artifacts:/workspaces/${workspace}/${id}`,
      lifecycleStage: 'active',
      creationTime: now,
      lastUpdateTime: now,
      tags: new Map(tags),
    };
    this.experiments.set(id, experiment);
    return experiment;
  }

  /** An experiment of this workspace; one of another workspace does not exist here. */
  getExperiment(workspace: string, id: string): Experiment {
    if (!/^\d+$/.test(id)) {
      throw invalidParameter(`Invalid experiment ID '${id}'. Experiment ID must be a valid integer.`);
    }
    const e = this.experiments.get(String(Number(id)));
    if (!e || e.workspace !== workspace) {
      throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `No Experiment with id=${id} exists`);
    }
    return e;
  }

  experimentByName(workspace: string, name: string): Experiment | undefined {
    for (const e of this.experiments.values()) if (e.workspace === workspace && e.name === name) return e;
    return undefined;
  }

  experimentsIn(workspace: string): Experiment[] {
    return [...this.experiments.values()].filter((e) => e.workspace === workspace);
  }

  touch(e: Experiment): void {
    e.lastUpdateTime = this.now();
  }

  // --- runs ------------------------------------------------------------------------------------------------

  createRun(
    experiment: Experiment,
    fields: { name: string; userId: string; startTime: number; tags: Array<[string, string]> },
  ): Run {
    const id = randomUUID().replaceAll('-', '');
    const run: Run = {
      id,
      experimentId: experiment.id,
      name: fields.name,
      userId: fields.userId,
      status: 'RUNNING',
      startTime: fields.startTime,
      artifactUri: `${experiment.artifactLocation}/${id}/artifacts`,
      lifecycleStage: 'active',
      tags: new Map(fields.tags),
      params: new Map(),
      latest: new Map(),
      history: new Map(),
    };
    this.runs.set(id, run);
    return run;
  }

  /** A run of this workspace (through its experiment). */
  getRun(workspace: string, id: string): Run {
    const run = this.runs.get(id);
    if (!run || this.experiments.get(run.experimentId)?.workspace !== workspace) {
      throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Run with id=${id} not found`);
    }
    return run;
  }

  runsOf(experimentIds: ReadonlySet<string>): Run[] {
    const out: Run[] = [];
    for (const run of this.runs.values()) if (experimentIds.has(run.experimentId)) out.push(run);
    return out;
  }

  logMetric(run: Run, metric: Metric): void {
    let history = run.history.get(metric.key);
    if (!history) run.history.set(metric.key, (history = []));
    history.push(metric);
    // MLflow keeps the metric with the greatest (step, timestamp, value) as the latest one.
    const current = run.latest.get(metric.key);
    if (!current || compareMetric(metric, current) >= 0) run.latest.set(metric.key, metric);
  }
}

function compareMetric(a: Metric, b: Metric): number {
  return (
    a.step - b.step ||
    a.timestamp - b.timestamp ||
    (Number.isNaN(a.value) ? -1 : Number.isNaN(b.value) ? 1 : a.value - b.value)
  );
}
