import { randomUUID } from 'node:crypto';
import {
  lstat,
  mkdir,
  readFile,
  readdir,
  realpath,
  rename,
  rm,
  stat,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MlflowError, invalidParameter } from '../errors.js';
import { HtmlError } from '../http.js';
import { normpath, pyRepr } from './paths.js';

export interface FileInfo {
  /** Relative to the repository root, POSIX separators. */
  path: string;
  isDir: boolean;
  /** Files only. */
  size?: number;
}

/** Uploads are written under this prefix next to their target, then renamed; listings hide them. */
const UPLOADING_PREFIX = '.artifact.uploading.';

/**
 * MLflow's `LocalArtifactRepository` (mlflow/store/artifact/local_artifact_repo.py) over the emulator's
 * artifact root, with its `validate_path_within_directory`: every path is joined lexically under the root and
 * its resolved form (symlinks followed) must stay inside the root, or the request gets a 400 and the filesystem
 * is not touched. Paths come from `validatePathIsSafe`, so they are relative and free of `..` and NUL.
 */
export class LocalArtifactRepository {
  #realRoot: Promise<string> | undefined;

  constructor(readonly root: string) {}

  /** `list_artifacts`: the entries of a directory, sorted by path; a file or a missing path lists nothing. */
  async list(dir: string | undefined): Promise<FileInfo[]> {
    const relative = dir ? normpath(dir) : '.';
    const absolute = await this.#inside(relative);
    if (!(await isDirectory(absolute))) return [];
    const infos: FileInfo[] = [];
    for (const name of await readdir(absolute)) {
      if (name.startsWith(UPLOADING_PREFIX)) continue;
      const entry = await stat(path.join(absolute, name));
      const entryPath = relative === '.' ? name : `${relative}/${name}`;
      infos.push(
        entry.isDirectory()
          ? { path: entryPath, isDir: true }
          : { path: entryPath, isDir: false, size: entry.size },
      );
    }
    // Python sorts str by code point, which is UTF-8 byte order.
    return infos.sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  }

  /**
   * `log_artifact(<file named name>, dir)`: creates `dir`, then writes `data` to a temporary file beside the
   * target and renames it over the target, so no reader sees a partial artifact.
   */
  async write(dir: string | undefined, name: string, data: Buffer): Promise<void> {
    if (dir && isNotUnique(dir)) {
      throw new MlflowError(
        'INTERNAL_ERROR',
        `Invalid artifact path: '${dir}'. Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to ${pyRepr(normpath(dir))}`,
      );
    }
    const relativeDir = dir ? normpath(dir) : '.';
    const absoluteDir = await this.#inside(relativeDir);
    await mkdir(absoluteDir, { recursive: true });
    if (name.startsWith(UPLOADING_PREFIX)) {
      // The real message names the server's temporary copy of the upload.
      throw invalidParameter(
        `Invalid artifact file name: '${path.join(tmpdir(), `tmp${randomUUID().slice(0, 8)}`, name)}'. Artifact names starting with '${UPLOADING_PREFIX}' are reserved.`,
      );
    }
    const target = await this.#inside(path.posix.join(relativeDir, name));
    const temporary = path.join(absoluteDir, UPLOADING_PREFIX + randomUUID());
    try {
      await writeFile(temporary, data, { flag: 'wx' });
      await rename(temporary, target);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  /**
   * A file's bytes, as `download_artifacts` fetches them: a missing file is a 404 naming the artifact root; a
   * directory cannot be opened as a file (Flask's 500 page).
   */
  async read(artifactPath: string): Promise<Buffer> {
    const relative = normpath(artifactPath);
    const absolute = await this.#inside(relative);
    if (await isDirectory(absolute)) throw new HtmlError(500);
    try {
      return await readFile(absolute);
    } catch (error) {
      if (!isMissing(error)) throw error;
      throw new MlflowError(
        'RESOURCE_DOES_NOT_EXIST',
        `The following failures occurred while downloading one or more artifacts from ${this.root}:\n##### File ${artifactPath} #####\nNo such artifact: '${relative}'`,
      );
    }
  }

  /** `delete_artifacts`: a file, or a directory with everything under it; a missing path is no error. */
  async delete(artifactPath: string): Promise<void> {
    const relative = normpath(artifactPath);
    // Removing the root itself fails in Python too (rmtree cannot remove "<root>/."); refuse before touching it.
    if (relative === '.') throw new HtmlError(500);
    const absolute = path.join(
      await this.#inside(path.posix.dirname(relative)),
      path.posix.basename(relative),
    );
    const entry = await lstat(absolute).catch((error: unknown) => {
      if (isMissing(error)) return undefined;
      throw error;
    });
    if (entry?.isDirectory()) await rm(absolute, { recursive: true });
    else if (entry) await unlink(absolute);
  }

  /** The absolute path of `relative` under the root, refused when its resolved form leaves the root. */
  async #inside(relative: string): Promise<string> {
    const root = await this.#resolveRoot();
    const absolute = path.join(this.root, relative);
    // Python's Path.resolve(): the longest existing prefix with its symlinks resolved, then the missing rest.
    const missing: string[] = [];
    let existing = absolute;
    let resolved: string | undefined;
    while (resolved === undefined) {
      try {
        resolved = path.join(await realpath(existing), ...missing);
      } catch (error) {
        if (!isMissing(error) || existing === path.dirname(existing)) throw error;
        missing.unshift(path.basename(existing));
        existing = path.dirname(existing);
      }
    }
    const fromRoot = path.relative(root, resolved);
    if (fromRoot === '..' || fromRoot.startsWith(`..${path.sep}`) || path.isAbsolute(fromRoot)) {
      throw invalidParameter('Invalid path: resolved path is outside the artifact directory');
    }
    return absolute;
  }

  /** The root with its symlinks resolved (a temporary directory may sit behind one), created if missing. */
  #resolveRoot(): Promise<string> {
    this.#realRoot ??= mkdir(this.root, { recursive: true })
      .then(() => realpath(this.root))
      .catch((error: unknown) => {
        this.#realRoot = undefined;
        throw error;
      });
    return this.#realRoot;
  }
}

/** `path_not_unique`: a directory name that normalises to another name, to `.`, or out of the root. */
function isNotUnique(name: string): boolean {
  const norm = normpath(name);
  return norm !== name || norm === '.' || norm.startsWith('..') || norm.startsWith('/');
}

async function isDirectory(absolute: string): Promise<boolean> {
  return (await stat(absolute).catch(() => undefined))?.isDirectory() ?? false;
}

const isMissing = (error: unknown) => {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
};
