import { readFile } from 'node:fs/promises';

/**
 * CPU time of a whole process, all threads (libuv's pool signs the JWTs), in ms; NaN where there is no /proc.
 * Throughput on a shared 2-core machine swings with the neighbours, while CPU per call says what a call costs.
 */
export async function processCpuMs(pid) {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15, in USER_HZ (100/s).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}
