// Reading a file a user names (a lab config, RBAC manifests, a Dex config, a token file) with a bound on what it
// can cost: `rbac: [/dev/zero]` made `up` read forever, and a FIFO would block it just as well (issue 18, item 9).
import { constants } from 'node:fs';
import type { Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';

/** Larger than any lab config or RBAC dump of a real cluster (a few hundred KB), small enough to parse at once. */
export const MAX_TEXT_FILE_BYTES = 8 * 1024 * 1024;

/**
 * The file's text. Only a regular file is read (a device, FIFO, socket or directory is refused before anything is
 * read, so nothing blocks), and only up to `maxBytes`: a larger one is refused, whatever it claims its size is.
 * Errors are Node errors with a message fit for a `cannot be read: …` line.
 */
export async function readTextFile(file: string, maxBytes = MAX_TEXT_FILE_BYTES): Promise<string> {
  // Looked at before it is opened (opening a device can do something by itself), then opened without blocking and
  // looked at again: what was checked is what is read.
  const checked = await stat(file);
  refuseUnlessRegular(file, checked, maxBytes);
  const handle = await open(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const info = await handle.stat();
    if (info.dev !== checked.dev || info.ino !== checked.ino) refuseUnlessRegular(file, info, maxBytes);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(64 * 1024);
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      // The file may have grown since it was looked at: the limit holds for what is read.
      total += bytesRead;
      if (total > maxBytes) throw new Error(`${file} is larger than the ${maxBytes} bytes read`);
      chunks.push(chunk.subarray(0, bytesRead));
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    await handle.close();
  }
}

function refuseUnlessRegular(file: string, info: Stats, maxBytes: number): void {
  if (info.isDirectory()) throw new Error(`EISDIR: ${file} is a directory`);
  if (!info.isFile()) throw new Error(`${file} is not a regular file (a device, a FIFO or a socket)`);
  if (info.size > maxBytes) throw new Error(`${file} is ${info.size} bytes, more than the ${maxBytes} read`);
}
