import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Dockerode from 'dockerode';
import { AuthlabError } from '../../errors.js';

/** docker/ ships in the package (package.json `files`); from src/ and dist/ alike it is three levels up. */
const DOCKER_DIR = fileURLToPath(new URL('../../../docker/', import.meta.url));
export const MLFLOW_DOCKERFILE = path.join(DOCKER_DIR, 'mlflow', 'Dockerfile');
export const PLUGIN_BUILD_CONTEXT = path.join(DOCKER_DIR, 'mlflow-kubernetes');

/**
 * The image each real plugin runs in when no `--mlflow-image` is given: the pinned MLflow image plus the plugin,
 * built from its directory under docker/ on first use and tagged by content (`<repository>:<hash>`).
 */
export const PLUGIN_IMAGES = {
  'kubernetes-auth': { context: PLUGIN_BUILD_CONTEXT, repository: 'mlflow-authlab/mlflow-kubernetes' },
  'oidc-auth': {
    context: path.join(DOCKER_DIR, 'mlflow-oidc-auth'),
    repository: 'mlflow-authlab/mlflow-oidc-auth',
  },
} as const;

/**
 * The official MLflow image the lab runs, read from the one `FROM` line of docker/mlflow/Dockerfile, so a
 * dependency bot bumping that file bumps the lab.
 */
export function pinnedMlflowImage(): string {
  return fromLine(readFileSync(MLFLOW_DOCKERFILE, 'utf8'), MLFLOW_DOCKERFILE);
}

/** The image of the first `FROM` of a Dockerfile (an `ARG` default substituted). */
export function fromLine(dockerfile: string, file = 'Dockerfile'): string {
  const args = new Map<string, string>();
  for (const raw of dockerfile.split('\n')) {
    const line = raw.trim();
    const arg = /^ARG\s+(\w+)=(\S+)$/i.exec(line);
    if (arg) args.set(arg[1]!, arg[2]!);
    const from = /^FROM\s+(?:--platform=\S+\s+)?(\S+)/i.exec(line);
    if (from) return from[1]!.replace(/\$\{?(\w+)\}?/g, (_, name: string) => args.get(name) ?? '');
  }
  throw new AuthlabError('AUTHLAB_INTERNAL', `${file} has no FROM line`);
}

type Progress = ((message: string) => void) | undefined;

/** One line of the engine's JSON stream (pull or build). */
interface StreamEvent {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  stream?: string;
  error?: string;
  errorDetail?: { message?: string };
}

/**
 * Makes sure the engine has `image`: nothing to do when it is there, otherwise a pull with a progress line every
 * few seconds (layers done, megabytes). A pull that fails says so with the engine's own message; testcontainers'
 * own pull would read past an error in the stream and fail later with "no such image".
 */
export async function ensureImage(
  docker: Dockerode,
  image: string,
  onProgress: Progress,
): Promise<'present' | 'pulled'> {
  if (await imageExists(docker, image)) return 'present';
  onProgress?.(`pulling ${image} (first start only; the engine keeps it)`);
  const layers = new Map<string, { current: number; total: number; done: boolean }>();
  let lastReport = Date.now();
  const report = () => {
    const all = [...layers.values()];
    const done = all.filter((l) => l.done).length;
    const mb = (n: number) => Math.round(n / 1e6);
    const current = all.reduce((s, l) => s + l.current, 0);
    const total = all.reduce((s, l) => s + l.total, 0);
    onProgress?.(`pulling ${image}: ${done}/${all.length} layers, ${mb(current)}/${mb(total)} MB`);
  };
  try {
    const stream = await docker.pull(image);
    await followStream(docker, stream, (event) => {
      if (event.id && event.status) {
        const layer = layers.get(event.id) ?? { current: 0, total: 0, done: false };
        if (event.progressDetail?.total) {
          layer.current = event.progressDetail.current ?? layer.current;
          layer.total = event.progressDetail.total;
        }
        if (/^(Pull complete|Already exists|Download complete)$/.test(event.status)) layer.done = true;
        layers.set(event.id, layer);
      }
      if (Date.now() - lastReport >= 3_000) {
        lastReport = Date.now();
        report();
      }
    });
  } catch (error) {
    throw new AuthlabError(
      'AUTHLAB_MLFLOW_IMAGE_UNAVAILABLE',
      `could not pull ${image}: ${messageOf(error)}`,
      {
        cause: error,
        hint: 'Check that the engine can reach the registry (docker pull works), or build or load the image yourself and pass --mlflow-image.',
      },
    );
  }
  return 'pulled';
}

export interface BuildImageOptions {
  /** The directory sent to the engine as the build context. */
  context: string;
  /** The tag; an image that already has it is not rebuilt. */
  tag: string;
  buildArgs?: Record<string, string>;
  onProgress?: (message: string) => void;
}

/**
 * Builds an image from a context directory unless the tag exists already, streaming the build's steps as
 * progress lines (`STEP 2/3: RUN pip install …`).
 */
export async function buildImage(
  docker: Dockerode,
  options: BuildImageOptions,
): Promise<'present' | 'built'> {
  if (await imageExists(docker, options.tag)) return 'present';
  options.onProgress?.(`building ${options.tag} from ${options.context}`);
  const tail: string[] = [];
  try {
    const stream = await docker.buildImage(
      { context: options.context, src: await listFiles(options.context) },
      { t: options.tag, ...(options.buildArgs && { buildargs: options.buildArgs }) },
    );
    await followStream(docker, stream, (event) => {
      for (const line of (event.stream ?? '').split('\n')) {
        const text = line.trimEnd();
        if (!text) continue;
        tail.push(text);
        if (tail.length > 20) tail.shift();
        if (/^(STEP|Step) \d+\/\d+/.test(text)) options.onProgress?.(`building ${options.tag}: ${text}`);
      }
    });
  } catch (error) {
    throw new AuthlabError(
      'AUTHLAB_MLFLOW_IMAGE_UNAVAILABLE',
      `could not build ${options.tag}: ${messageOf(error)}`,
      {
        cause: error,
        details: tail.length > 0 ? ['last lines of the build:', ...tail.map((l) => `  | ${l}`)] : [],
        hint: 'The build needs the base image and PyPI the first time; build it once where both are reachable, or pass --mlflow-image.',
      },
    );
  }
  if (!(await imageExists(docker, options.tag))) {
    throw new AuthlabError(
      'AUTHLAB_MLFLOW_IMAGE_UNAVAILABLE',
      `the build of ${options.tag} ended without an image`,
      {
        details: tail.map((l) => `  | ${l}`),
      },
    );
  }
  return 'built';
}

/** A tag that changes whenever the context's files or the build arguments do, so edits rebuild. */
export async function contentTag(
  repository: string,
  context: string,
  buildArgs: Record<string, string>,
): Promise<string> {
  const hash = createHash('sha256');
  for (const file of (await listFiles(context)).sort()) {
    hash
      .update(file)
      .update('\0')
      .update(await readFile(path.join(context, file)))
      .update('\0');
  }
  hash.update(JSON.stringify(Object.entries(buildArgs).sort()));
  return `${repository}:${hash.digest('hex').slice(0, 12)}`;
}

async function imageExists(docker: Dockerode, image: string): Promise<boolean> {
  try {
    await docker.getImage(image).inspect();
    return true;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return false;
    throw error;
  }
}

/** Reads an engine JSON stream to its end; an `error` line rejects with the engine's message. */
function followStream(
  docker: Dockerode,
  stream: NodeJS.ReadableStream,
  onEvent: (e: StreamEvent) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (error: Error | null, events: StreamEvent[] | undefined) => {
        const failed = error ?? events?.find((e) => e.error || e.errorDetail);
        if (!failed) return resolve();
        reject(failed instanceof Error ? failed : new Error(failed.errorDetail?.message ?? failed.error));
      },
      (event: StreamEvent) => onEvent(event),
    );
  });
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(dir, rel)));
    else out.push(rel);
  }
  return out;
}

function messageOf(error: unknown): string {
  const json = (error as { json?: { message?: string } })?.json;
  return (json?.message ?? (error as Error)?.message ?? String(error)).trim();
}
