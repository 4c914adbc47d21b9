import { randomUUID } from 'node:crypto';
import type { LabClock } from '../../clock.js';
import { MlflowError, invalidParameter } from './errors.js';
import { pyInt } from './python-values.js';
import { RUN_NAME_TAG } from './run-data.js';
import { generateRunName } from './run-names.js';

export interface Workspace {
  name: string;
  description?: string;
  defaultArtifactRoot?: string;
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

/** One metric row. `value` is NaN for a NaN metric and never ±Infinity (stored as ±max double). */
export interface Metric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

/** service.proto's Dataset, as a run input refers to it (unique per experiment by name and digest). */
export interface Dataset {
  name: string;
  digest: string;
  sourceType: string;
  source: string;
  schema?: string;
  profile?: string;
}

/** service.proto's DatasetInput: a dataset a run read, with the input's tags (e.g. mlflow.data.context). */
export interface DatasetInput {
  dataset: Dataset;
  tags: Array<[string, string]>;
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
  /** Datasets logged with log-inputs, in logged order. */
  inputs: DatasetInput[];
}

/** Which lifecycle stages a lookup accepts (MLflow's ViewType). */
export type ViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';

export const DEFAULT_WORKSPACE = 'default';
export const DEFAULT_WORKSPACE_DESCRIPTION = 'Default workspace for legacy resources';
const DEFAULT_EXPERIMENT_ID = '0';

/** Whether a lifecycle stage is in a ViewType. */
export const inView = (stage: 'active' | 'deleted', view: ViewType) =>
  view === 'ALL' || (view === 'ACTIVE_ONLY' ? stage === 'active' : stage === 'deleted');

/**
 * The emulator's tracking state: workspaces, experiments and runs, with the semantics of MLflow's SQL store
 * (`WorkspaceAwareSqlAlchemyStore`) under `--enable-workspaces`. Experiment ids are global and sequential, but
 * an experiment or run of another workspace does not exist here (README "Workspaces" 15). The default
 * workspace owns the built-in `Default` experiment "0".
 */
export class TrackingStore {
  readonly workspaces = new Map<string, Workspace>();
  readonly experiments = new Map<string, Experiment>();
  readonly runs = new Map<string, Run>();
  #nextExperimentId = 0;
  readonly #clock: LabClock;

  readonly #newRunId: () => string;

  constructor(clock: LabClock, newRunId: () => string = () => randomUUID().replaceAll('-', '')) {
    this.#clock = clock;
    this.#newRunId = newRunId;
    this.reset();
  }

  now(): number {
    return this.#clock.now();
  }

  /** The id the next experiment gets: ids are global and never reused, deleted experiments' included. */
  get nextExperimentId(): number {
    return this.#nextExperimentId;
  }

  /** Replaces the whole state with a saved one; the maps keep the order given (the order of creation). */
  replace(state: {
    workspaces: Workspace[];
    experiments: Experiment[];
    runs: Run[];
    nextExperimentId: number;
  }): void {
    this.workspaces.clear();
    this.experiments.clear();
    this.runs.clear();
    for (const w of state.workspaces) this.workspaces.set(w.name, w);
    for (const e of state.experiments) this.experiments.set(e.id, e);
    for (const r of state.runs) this.runs.set(r.id, r);
    this.#nextExperimentId = state.nextExperimentId;
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
    if (this.experimentByName(workspace, name)) {
      // The UNIQUE (workspace, name) index fails; deleted experiments keep their name.
      throw new MlflowError(
        'RESOURCE_ALREADY_EXISTS',
        `Experiment(name=${name}) already exists. Error: (sqlite3.IntegrityError) UNIQUE constraint failed: experiments.workspace, experiments.name`,
      );
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

  /** `_get_experiment`: "" means the Default experiment; one of another workspace does not exist here. */
  getExperiment(workspace: string, id: string, view: ViewType = 'ALL'): Experiment {
    const requested = id || DEFAULT_EXPERIMENT_ID;
    const n = pyInt(requested);
    if (n === undefined) {
      throw invalidParameter(`Invalid experiment ID '${requested}'. Experiment ID must be a valid integer.`);
    }
    const e = this.experiments.get(String(n));
    if (!e || e.workspace !== workspace || !inView(e.lifecycleStage, view)) {
      throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `No Experiment with id=${requested} exists`);
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

  /** Deleting an experiment deletes all its runs; restoring it restores all of them. */
  setExperimentStage(workspace: string, id: string, stage: 'active' | 'deleted'): void {
    const e = this.getExperiment(workspace, id, stage === 'deleted' ? 'ACTIVE_ONLY' : 'DELETED_ONLY');
    e.lifecycleStage = stage;
    e.lastUpdateTime = this.now();
    for (const run of this.runsOf(new Set([e.id]))) run.lifecycleStage = stage;
  }

  renameExperiment(workspace: string, id: string, newName: string): void {
    const e = this.getExperiment(workspace, id);
    if (e.lifecycleStage !== 'active') {
      throw new MlflowError('INVALID_STATE', 'Cannot rename a non-active experiment.');
    }
    const clash = this.experimentByName(workspace, newName);
    if (clash && clash !== e) {
      // The UPDATE fails on the unique index; the session maps SQLAlchemy errors to BAD_REQUEST.
      throw new MlflowError(
        'BAD_REQUEST',
        '(sqlite3.IntegrityError) UNIQUE constraint failed: experiments.workspace, experiments.name',
      );
    }
    e.name = newName;
    e.lastUpdateTime = this.now();
  }

  /** An experiment that may take changes (`_check_experiment_is_active`). */
  activeExperiment(workspace: string, id: string): Experiment {
    const e = this.getExperiment(workspace, id);
    if (e.lifecycleStage !== 'active') {
      throw invalidParameter(
        `The experiment ${e.id} must be in the 'active' state. Current state is ${e.lifecycleStage}.`,
      );
    }
    return e;
  }

  // --- runs ------------------------------------------------------------------------------------------------

  /** `create_run`: the name comes from `run_name`, else the `mlflow.runName` tag, else a generated one. */
  createRun(
    workspace: string,
    fields: {
      experimentId: string;
      userId: string;
      startTime: number;
      runName: string;
      tags: Array<[string, string]>;
    },
  ): Run {
    const experiment = this.activeExperiment(workspace, fields.experimentId);
    const tagName = fields.tags.find(([k]) => k === RUN_NAME_TAG)?.[1];
    if (fields.runName && tagName && fields.runName !== tagName) {
      throw invalidParameter(
        `Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='${fields.runName}', mlflow.runName='${tagName}').`,
      );
    }
    if (fields.experimentId === '') {
      // The Default experiment was found, but the row is inserted with experiment_id '' and its foreign key
      // fails (README "Validation quirks" 11).
      throw new MlflowError(
        'BAD_REQUEST',
        '(raised as a result of Query-invoked autoflush; consider using a session.no_autoflush block if this flush is occurring prematurely)\n(sqlite3.IntegrityError) FOREIGN KEY constraint failed',
      );
    }
    const name = fields.runName || tagName || generateRunName();
    const tags = new Map(fields.tags);
    if (!tagName) tags.set(RUN_NAME_TAG, name);
    const id = this.#newRunId();
    const run: Run = {
      id,
      experimentId: experiment.id,
      name,
      userId: fields.userId,
      status: 'RUNNING',
      startTime: fields.startTime,
      artifactUri: `${experiment.artifactLocation}/${id}/artifacts`,
      lifecycleStage: 'active',
      tags,
      params: new Map(),
      latest: new Map(),
      history: new Map(),
      inputs: [],
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

  /** A run that may take changes (`_check_run_is_active`). */
  activeRun(workspace: string, id: string): Run {
    const run = this.getRun(workspace, id);
    if (run.lifecycleStage !== 'active') {
      throw invalidParameter(
        `The run ${run.id} must be in the 'active' state. Current state is ${run.lifecycleStage}.`,
      );
    }
    return run;
  }

  runsOf(experimentIds: ReadonlySet<string>): Run[] {
    const out: Run[] = [];
    for (const run of this.runs.values()) if (experimentIds.has(run.experimentId)) out.push(run);
    return out;
  }

  /** Deletes a workspace's experiments and their runs (`DELETE …?mode=CASCADE`). */
  dropWorkspaceData(workspace: string): void {
    for (const e of this.experimentsIn(workspace)) {
      for (const run of this.runsOf(new Set([e.id]))) this.runs.delete(run.id);
      this.experiments.delete(e.id);
    }
  }
}
