// The MLflow emulator as a process of its own for bench/emulator.js, so the client timing it does not share its
// event loop: `node bench/emulator-server.js` prints one JSON line with the base URL once it listens.
//
// With BENCH_CPU_PROFILE=<file> it profiles itself as `--cpu-prof` would, but only from SIGUSR2 (sent once the
// seeding is done) to SIGTERM, so the profile holds the timed requests and not the seeding; the file is a
// .cpuprofile that Chrome DevTools and bench/emulator-profile.js read.
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { createMlflowEmulator } from '../dist/mlflow/emulator/create-emulator.js';

const profileFile = process.env.BENCH_CPU_PROFILE;
const session = profileFile ? new Session() : undefined;
if (session) {
  session.connect();
  await session.post('Profiler.enable');
  // µs, as --cpu-prof-interval 200: five times --cpu-prof's default, for a profile of a few seconds.
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  process.once('SIGUSR2', () => (profiling = session.post('Profiler.start')));
}
let profiling;

const emulator = await createMlflowEmulator({ port: 0 });
const stop = async () => {
  if (profiling) {
    await profiling;
    const { profile } = await session.post('Profiler.stop');
    await writeFile(profileFile, JSON.stringify(profile));
  }
  await emulator.dispose();
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
process.stdout.write(`${JSON.stringify({ url: emulator.url.href, pid: process.pid })}\n`);
