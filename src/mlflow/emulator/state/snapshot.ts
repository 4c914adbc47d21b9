import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { formatProblem, problemsFromZod, type ConfigProblem } from '../../../config/issues.js';
import { AuthlabError } from '../../../errors.js';
import {
  STAGES,
  STAGE_DELETED,
  type ModelRegistry,
  type ModelVersion,
  type RegisteredModel,
} from '../registry/model-registry.js';
import {
  DEFAULT_WORKSPACE,
  type Experiment,
  type Metric,
  type Run,
  type TrackingStore,
  type Workspace,
} from '../tracking-store.js';

/**
 * The emulator's data in one JSON file, `mlflow-emulator.json`:
 *
 * ```
 * {"version":1, "nextExperimentId":3,
 *  "workspaces":[{"name":"default","description":"…"}, …],
 *  "experiments":[{"id":"1","name":"…","workspace":"team-a","artifactLocation":"…","lifecycleStage":"active",
 *                  "creationTime":…,"lastUpdateTime":…,"tags":[["key","value"], …]}, …],
 *  "runs":[{"id":"…","experimentId":"1", …, "tags":[…],"params":[…],
 *           "latestMetrics":[["loss",0.25,1700000000000,3], …],
 *           "metricHistory":[["loss",[values…],[timestamps…],[steps…]], …]}, …],
 *  "registeredModels":[{"workspace":"team-a","name":"…", …, "aliases":[["champion",1]],
 *                       "versions":[{"version":1,"stage":"None", …}, …]}, …]}
 * ```
 *
 * Lists keep the order of creation, which is the order MLflow's SQL store lists them in when nothing else
 * decides, so a restarted emulator answers byte for byte as before. Maps are lists of pairs. A metric's history
 * is three columns in logged order. JSON has no NaN or ±Infinity: numbers that are not finite are written as the
 * strings "NaN", "Infinity" and "-Infinity".
 */
export const STATE_FILE_NAME = 'mlflow-emulator.json';
export const STATE_VERSION = 1;

const NON_FINITE = ['NaN', 'Infinity', '-Infinity'] as const;
const encodeNumber = (n: number): number | string => (Number.isFinite(n) ? n : String(n));
const decodeNumber = (v: number | string): number => (typeof v === 'number' ? v : Number(v));
const isNumberJson = (v: unknown) => typeof v === 'number' || (NON_FINITE as readonly unknown[]).includes(v);

const text = z.string();
const NUMBER_RULE = 'must be a number, or "NaN", "Infinity" or "-Infinity"';
const number = z.union([z.number(), z.enum(NON_FINITE)], { error: NUMBER_RULE }).transform(decodeNumber);
/** A metric column, checked in one loop: it may hold a great many points. */
const column = z
  .custom<Array<number | string>>((v) => Array.isArray(v) && v.every(isNumberJson), {
    error: `must be a list of numbers, each ${NUMBER_RULE.replace('must be ', '')}`,
  })
  .transform((v) => v.map(decodeNumber));
const pairs = z.array(z.tuple([text, text]));
const lifecycleStage = z.enum(['active', 'deleted']);
const experimentId = text.regex(/^(0|[1-9]\d*)$/, { error: 'must be a non-negative integer in decimal' });

const workspaceSchema = z.strictObject({
  name: text,
  description: text.optional(),
  defaultArtifactRoot: text.optional(),
});

const experimentSchema = z.strictObject({
  id: experimentId,
  name: text,
  workspace: text,
  artifactLocation: text,
  lifecycleStage,
  creationTime: number,
  lastUpdateTime: number,
  tags: pairs,
});

const runSchema = z.strictObject({
  id: text,
  experimentId,
  name: text,
  userId: text,
  status: text,
  startTime: number,
  endTime: number.optional(),
  artifactUri: text,
  lifecycleStage,
  tags: pairs,
  params: pairs,
  /** `[key, value, timestamp, step]`, one per key, in first-logged order. */
  latestMetrics: z.array(z.tuple([text, number, number, number])),
  /** `[key, values, timestamps, steps]`, one per key, in first-logged order; points in logged order. */
  metricHistory: z.array(z.tuple([text, column, column, column])),
  /** Dataset inputs in logged order. */
  inputs: z
    .array(
      z.strictObject({
        dataset: z.strictObject({
          name: text,
          digest: text,
          sourceType: text,
          source: text,
          schema: text.optional(),
          profile: text.optional(),
        }),
        tags: pairs,
      }),
    )
    .default([]),
});

const versionSchema = z.strictObject({
  version: z.number().int().positive(),
  creationTime: number,
  lastUpdatedTime: number,
  description: text.optional(),
  stage: z.enum([...STAGES, STAGE_DELETED]),
  source: text,
  storageLocation: text,
  runId: text,
  runLink: text,
  tags: pairs,
});

const modelSchema = z.strictObject({
  workspace: text,
  name: text,
  creationTime: number,
  lastUpdatedTime: number,
  description: text,
  tags: pairs,
  aliases: z.array(z.tuple([text, z.number().int().positive()])),
  versions: z.array(versionSchema),
});

const snapshotSchema = z.strictObject({
  version: z.literal(STATE_VERSION),
  nextExperimentId: z.number().int().nonnegative(),
  workspaces: z.array(workspaceSchema),
  experiments: z.array(experimentSchema),
  runs: z.array(runSchema),
  registeredModels: z.array(modelSchema),
});

/** A snapshot as read: numbers decoded. */
export type EmulatorSnapshot = z.output<typeof snapshotSchema>;

// --- write ---------------------------------------------------------------------------------------------------

/** A history's three columns as JSON text without brackets, UTF-8, for its first `count` points. */
interface HistoryColumns {
  count: number;
  values: Buffer;
  timestamps: Buffer;
  steps: Buffer;
}

/**
 * Histories only grow (points are appended, never changed), so the text of each one's columns is kept and only
 * the new points are added at the next save: a save copies the metric data, it does not format it again. A
 * history array that shrank, or a new one, starts over.
 */
const historyColumns = new WeakMap<Metric[], HistoryColumns>();

const numberJson = (n: number) => (Number.isFinite(n) ? String(n) : `"${n}"`);

function columnsOf(points: Metric[]): HistoryColumns {
  let cached = historyColumns.get(points);
  if (cached?.count === points.length) return cached;
  if (!cached || cached.count > points.length) {
    const empty = Buffer.alloc(0);
    cached = { count: 0, values: empty, timestamps: empty, steps: empty };
  }
  let values = '';
  let timestamps = '';
  let steps = '';
  for (let i = cached.count; i < points.length; i++) {
    const m = points[i]!;
    const comma = i === 0 ? '' : ',';
    values += comma + numberJson(m.value);
    timestamps += comma + numberJson(m.timestamp);
    steps += comma + numberJson(m.step);
  }
  const grown: HistoryColumns = {
    count: points.length,
    values: Buffer.concat([cached.values, Buffer.from(values)]),
    timestamps: Buffer.concat([cached.timestamps, Buffer.from(timestamps)]),
    steps: Buffer.concat([cached.steps, Buffer.from(steps)]),
  };
  historyColumns.set(points, grown);
  return grown;
}

/** JSON text in pieces: small ones gathered as text, large cached ones kept as they are. */
class Chunks {
  readonly buffers: Buffer[] = [];
  #text = '';

  text(text: string): void {
    this.#text += text;
  }

  buffer(buffer: Buffer): void {
    this.buffers.push(Buffer.from(this.#text), buffer);
    this.#text = '';
  }

  end(): Buffer[] {
    this.buffers.push(Buffer.from(this.#text));
    return this.buffers;
  }
}

/** `JSON.stringify(object)` without its closing brace, so that more fields can follow. */
const openObject = (object: object) => JSON.stringify(object).slice(0, -1);

function writeRun(out: Chunks, r: Run): void {
  out.text(
    openObject({
      id: r.id,
      experimentId: r.experimentId,
      name: r.name,
      userId: r.userId,
      status: r.status,
      startTime: encodeNumber(r.startTime),
      ...(r.endTime !== undefined && { endTime: encodeNumber(r.endTime) }),
      artifactUri: r.artifactUri,
      lifecycleStage: r.lifecycleStage,
      tags: [...r.tags],
      params: [...r.params],
      inputs: r.inputs,
      latestMetrics: [...r.latest.values()].map((m) => [
        m.key,
        encodeNumber(m.value),
        encodeNumber(m.timestamp),
        encodeNumber(m.step),
      ]),
    }),
  );
  out.text(',"metricHistory":[');
  let comma = '';
  for (const [key, points] of r.history) {
    const columns = columnsOf(points);
    out.text(`${comma}[${JSON.stringify(key)},[`);
    out.buffer(columns.values);
    out.text('],[');
    out.buffer(columns.timestamps);
    out.text('],[');
    out.buffer(columns.steps);
    out.text(']]');
    comma = ',';
  }
  out.text(']}');
}

/** The emulator's whole state as the bytes of a snapshot file, in pieces to write in one go. */
export function serializeState(store: TrackingStore, registry: ModelRegistry): Buffer[] {
  const out = new Chunks();
  out.text(
    openObject({
      version: STATE_VERSION,
      nextExperimentId: store.nextExperimentId,
      workspaces: [...store.workspaces.values()],
      experiments: [...store.experiments.values()].map((e) => ({
        id: e.id,
        name: e.name,
        workspace: e.workspace,
        artifactLocation: e.artifactLocation,
        lifecycleStage: e.lifecycleStage,
        creationTime: encodeNumber(e.creationTime),
        lastUpdateTime: encodeNumber(e.lastUpdateTime),
        tags: [...e.tags],
      })),
    }),
  );
  out.text(',"runs":[');
  let comma = '';
  for (const run of store.runs.values()) {
    out.text(comma);
    writeRun(out, run);
    comma = ',';
  }
  const registeredModels = [...registry.allModels()].map(([workspace, m]) => ({
    workspace,
    name: m.name,
    creationTime: encodeNumber(m.creationTime),
    lastUpdatedTime: encodeNumber(m.lastUpdatedTime),
    description: m.description,
    tags: [...m.tags],
    aliases: [...m.aliases],
    versions: m.versions.map((v) => ({
      version: v.version,
      creationTime: encodeNumber(v.creationTime),
      lastUpdatedTime: encodeNumber(v.lastUpdatedTime),
      ...(v.description !== undefined && { description: v.description }),
      stage: v.stage,
      source: v.source,
      storageLocation: v.storageLocation,
      runId: v.runId,
      runLink: v.runLink,
      tags: [...v.tags],
    })),
  }));
  out.text(`],"registeredModels":${JSON.stringify(registeredModels)}}\n`);
  return out.end();
}

// --- read and restore ------------------------------------------------------------------------------------------

const HINT_INVALID =
  'Move the file away to start with empty MLflow data (it is left untouched), or use another --state-dir.';

/** Problems listed in an error; the rest are counted. */
const MAX_LISTED = 10;

const invalid = (message: string, options: { details?: string[]; cause?: unknown } = {}) =>
  new AuthlabError('AUTHLAB_STATE_INVALID', message, { ...options, hint: HINT_INVALID });

/**
 * Reads and checks a snapshot; undefined when there is none. Anything this version cannot take as a whole (not
 * JSON, another version, a wrong shape, dangling references) is an AuthlabError naming the file: the emulator
 * refuses to start rather than start empty and overwrite the data later.
 */
export function readSnapshot(file: string): EmulatorSnapshot | undefined {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // A missing file, or a path through a file: nothing saved yet (creating the directory will say more).
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new AuthlabError(
      'AUTHLAB_STATE_INVALID',
      `cannot read the MLflow emulator state file ${file}: ${(error as Error).message}`,
      { cause: error, hint: 'Make the file readable, or use another --state-dir.' },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw invalid(`the MLflow emulator state file ${file} is not valid JSON`, {
      details: [(error as Error).message],
      cause: error,
    });
  }
  const version = (parsed as { version?: unknown } | null)?.version;
  if (version !== STATE_VERSION) {
    const found = version === undefined ? 'no version' : `version ${JSON.stringify(version)}`;
    throw invalid(
      `the MLflow emulator state file ${file} has ${found}; this mlflow-authlab reads version ${STATE_VERSION}`,
    );
  }
  const result = snapshotSchema.safeParse(parsed, { reportInput: true });
  const problems = result.success
    ? referenceProblems(result.data)
    : problemsFromZod(result.error.issues, '', 'unknown field');
  if (problems.length > 0) {
    const listed = problems.slice(0, MAX_LISTED).map(formatProblem);
    if (problems.length > MAX_LISTED) listed.push(`… and ${problems.length - MAX_LISTED} more`);
    throw invalid(`the MLflow emulator state file ${file} is not valid:`, { details: listed });
  }
  return result.data;
}

/** What the schema cannot see: duplicates and references to things the snapshot does not hold. */
function referenceProblems(s: EmulatorSnapshot): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const problem = (path: string, received: unknown, rule: string) => problems.push({ path, received, rule });
  /** The keys of a list, each reported where it appears a second time. */
  const unique = <T>(list: T[], where: string, keyOf: (item: T) => string) => {
    const seen = new Set<string>();
    list.forEach((item, i) => {
      const key = keyOf(item);
      if (seen.has(key)) problem(where.replace('#', String(i)), key, 'appears twice');
      seen.add(key);
    });
    return seen;
  };
  const workspaces = unique(s.workspaces, 'workspaces[#].name', (w) => w.name);
  if (!workspaces.has(DEFAULT_WORKSPACE))
    problems.push({ path: 'workspaces', rule: `must hold the "${DEFAULT_WORKSPACE}" workspace` });
  const experiments = unique(s.experiments, 'experiments[#].id', (e) => e.id);
  unique(s.experiments, 'experiments[#].name', (e) => `${e.workspace}/${e.name}`);
  unique(s.runs, 'runs[#].id', (r) => r.id);
  unique(s.registeredModels, 'registeredModels[#].name', (m) => `${m.workspace}/${m.name}`);
  s.experiments.forEach((e, i) => {
    if (!workspaces.has(e.workspace))
      problem(`experiments[${i}].workspace`, e.workspace, 'no such workspace');
    if (Number(e.id) >= s.nextExperimentId)
      problem(`experiments[${i}].id`, e.id, 'must be below nextExperimentId');
  });
  s.runs.forEach((r, i) => {
    if (!experiments.has(r.experimentId))
      problem(`runs[${i}].experimentId`, r.experimentId, 'no such experiment');
    r.metricHistory.forEach(([key, values, timestamps, steps], j) => {
      if (timestamps.length !== values.length || steps.length !== values.length)
        problem(
          `runs[${i}].metricHistory[${j}]`,
          key,
          'values, timestamps and steps must be as long as each other',
        );
    });
  });
  s.registeredModels.forEach((m, i) => {
    if (!workspaces.has(m.workspace))
      problem(`registeredModels[${i}].workspace`, m.workspace, 'no such workspace');
    m.versions.forEach((v, j) => {
      if (j > 0 && v.version <= m.versions[j - 1]!.version)
        problem(`registeredModels[${i}].versions[${j}].version`, v.version, 'must be above the one before');
    });
    const live = new Set(m.versions.filter((v) => v.stage !== STAGE_DELETED).map((v) => v.version));
    m.aliases.forEach(([alias, version], j) => {
      if (!live.has(version))
        problem(
          `registeredModels[${i}].aliases[${j}]`,
          alias,
          `points at version ${version}, which the model does not hold`,
        );
    });
  });
  return problems;
}

/** Replaces the store's and the registry's data with a checked snapshot's. */
export function restoreState(s: EmulatorSnapshot, store: TrackingStore, registry: ModelRegistry): void {
  const metric = (key: string, value: number, timestamp: number, step: number): Metric => ({
    key,
    value,
    timestamp,
    step,
  });
  store.replace({
    nextExperimentId: s.nextExperimentId,
    workspaces: s.workspaces.map((w): Workspace => ({ ...w })),
    experiments: s.experiments.map((e): Experiment => ({ ...e, tags: new Map(e.tags) })),
    runs: s.runs.map((r): Run => ({
      id: r.id,
      experimentId: r.experimentId,
      name: r.name,
      userId: r.userId,
      status: r.status,
      startTime: r.startTime,
      ...(r.endTime !== undefined && { endTime: r.endTime }),
      artifactUri: r.artifactUri,
      lifecycleStage: r.lifecycleStage,
      tags: new Map(r.tags),
      params: new Map(r.params),
      inputs: r.inputs,
      latest: new Map(r.latestMetrics.map(([key, ...point]) => [key, metric(key, ...point)])),
      history: new Map(
        r.metricHistory.map(([key, values, timestamps, steps]) => [
          key,
          values.map((value, i) => metric(key, value, timestamps[i]!, steps[i]!)),
        ]),
      ),
    })),
  });
  for (const m of s.registeredModels) {
    const model: RegisteredModel = {
      name: m.name,
      creationTime: m.creationTime,
      lastUpdatedTime: m.lastUpdatedTime,
      description: m.description,
      tags: new Map(m.tags),
      aliases: new Map(m.aliases),
      versions: [],
    };
    for (const v of m.versions) {
      const version: ModelVersion = { ...v, model, tags: new Map(v.tags) };
      model.versions.push(version);
    }
    registry.models(m.workspace).set(model.name, model);
  }
}
