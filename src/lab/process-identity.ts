// Which process a pid names: pids are reused, so a state file left by a lab that crashed (or was killed -9) can
// hold the pid of an unrelated process by the time `down` reads it, and `down` killed that process (issue 18,
// item 5). A lab records its own start time next to its pid; a pid whose process started at another time is not
// the lab.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';

/**
 * When the process started, as a string that names it for its lifetime, or undefined where it cannot be told (no
 * such process, or a platform without a way): Linux `/proc/<pid>/stat` field 22 (clock ticks since boot), elsewhere
 * `ps -o lstart=`. `exec` keeps it, so the lab's relaunch of itself (lab-heap) is still the same process.
 */
export async function processStartTime(pid: number): Promise<string | undefined> {
  if (process.platform === 'linux') {
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      // The command name (field 2) may hold spaces and parentheses: the fields after it are counted from its end.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return fields[19] ? `linux:${fields[19]}` : undefined;
    } catch {
      return undefined;
    }
  }
  if (process.platform === 'win32') return undefined;
  return new Promise((resolve) => {
    // In one locale and zone whoever reads it: `lstart` is local time, printed in the locale's words.
    const env = { ...process.env, LC_ALL: 'C', TZ: 'UTC' };
    execFile('ps', ['-o', 'lstart=', '-p', String(pid)], { timeout: 5_000, env }, (error, stdout) => {
      const started = stdout?.trim();
      resolve(error || !started ? undefined : `ps:${started}`);
    });
  });
}

/**
 * Whether the process looks like a lab by its command line (`… mlflow-authlab up`, `… cli/main.js exec …`): the
 * check for a state file written before labs recorded their start time. True where the command line cannot be
 * read (not Linux), as such files were trusted before.
 */
export async function looksLikeLab(pid: number): Promise<boolean> {
  if (process.platform !== 'linux') return true;
  try {
    const args = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    const bin = args.findIndex((a) => /mlflow-authlab|[/\\]cli[/\\]main\.js$/.test(a));
    return bin >= 0 && ['up', 'exec'].includes(args[bin + 1] ?? '');
  } catch {
    return false;
  }
}
