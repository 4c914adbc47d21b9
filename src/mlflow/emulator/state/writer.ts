import { randomBytes } from 'node:crypto';
import { renameSync, rmSync } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { AuthlabError } from '../../../errors.js';
import type { Logger } from '../../../log.js';

/** The shortest wait between a change and its save; changes within it go into the same save. */
export const MIN_SAVE_DELAY_MS = 100;
/**
 * The wait grows with the time a save takes (×10), so that saving a large state keeps the server busy at most
 * about a tenth of the time; but a change waits no longer than this for its save, and no save has more than
 * this long's changes to format at once.
 */
export const MAX_SAVE_DELAY_MS = 1000;
const DELAY_PER_SAVE = 10;

/**
 * Saves a snapshot to one file some time after a change, rather than on every request, so that a request pays
 * nothing for it. The state is serialised at once (synchronously: a consistent picture), then written to a
 * temporary file beside the target (mode 0600) and synced, off the event loop, then renamed over the target: a
 * reader, or a restart after a crash, sees the old state or the new one, never a part of one. One save at a time;
 * a save overtaken by `discard()` is dropped instead of renamed.
 */
export class SnapshotWriter {
  readonly #file: string;
  readonly #temporary: string;
  readonly #serialize: () => Buffer[];
  readonly #log: Logger;
  #timer: NodeJS.Timeout | undefined;
  #dirty = false;
  #delayMs = MIN_SAVE_DELAY_MS;
  /** The save under way, if any; it never rejects. */
  #queue: Promise<void> = Promise.resolve();
  /** Counts discards: a save started before one must not bring the discarded state back. */
  #generation = 0;

  constructor(file: string, serialize: () => Buffer[], log: Logger) {
    this.#file = file;
    // Unique per writer: two emulators of one process must not share a temporary file.
    this.#temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    this.#serialize = serialize;
    this.#log = log;
  }

  /** Something changed: save it soon. */
  changed(): void {
    this.#dirty = true;
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      // Still dirty after a failure: the next change or the final flush tries again, and that one reports.
      this.flush().catch((error: unknown) => this.#log.warn((error as Error).message));
    }, this.#delayMs).unref();
  }

  /** Saves now, after the save under way, if anything changed since the last one. */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const saved = this.#queue.then(() => (this.#dirty ? this.#save() : undefined));
    this.#queue = saved.catch(() => undefined);
    return saved;
  }

  /** Saves the state as it is now, changed or not. */
  write(): Promise<void> {
    this.#dirty = true;
    return this.flush();
  }

  /** Drops the pending changes and the file, and any save under way. */
  discard(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#dirty = false;
    this.#generation++;
    rmSync(this.#file, { force: true });
  }

  async #save(): Promise<void> {
    const started = performance.now();
    const generation = this.#generation;
    const chunks = this.#serialize();
    const serialised = performance.now() - started;
    this.#dirty = false;
    try {
      await mkdir(path.dirname(this.#file), { recursive: true, mode: 0o700 });
      const handle = await open(this.#temporary, 'w', 0o600);
      try {
        await handle.writev(chunks);
        await handle.sync();
      } finally {
        await handle.close();
      }
      if (generation !== this.#generation) {
        await rm(this.#temporary, { force: true });
        return;
      }
      // Synchronous, so that no discard() comes between the check above and the rename.
      renameSync(this.#temporary, this.#file);
    } catch (error) {
      if (generation === this.#generation) this.#dirty = true;
      await rm(this.#temporary, { force: true }).catch(() => undefined);
      throw new AuthlabError(
        'AUTHLAB_STATE_WRITE_FAILED',
        `could not save the MLflow emulator state to ${this.#file}: ${(error as Error).message}`,
        {
          cause: error,
          hint: 'Make the state directory writable (and free some disk), or use another --state-dir.',
        },
      );
    }
    const elapsed = performance.now() - started;
    this.#delayMs = Math.min(MAX_SAVE_DELAY_MS, Math.max(MIN_SAVE_DELAY_MS, DELAY_PER_SAVE * elapsed));
    const bytes = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    this.#log.debug(
      `saved ${this.#file}: ${bytes} bytes, serialised in ${serialised.toFixed(1)} ms, saved in ${elapsed.toFixed(1)} ms`,
    );
  }
}
