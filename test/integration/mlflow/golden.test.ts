import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createClock } from '../../../src/clock.js';
import { createMlflowEmulator, type StartedEmulator } from '../../../src/mlflow/emulator/create-emulator.js';
import { allowed } from './golden/allow-list.js';
import { compareExchange } from './golden/compare.js';
import { FLOWS, GOLDEN_DIR, corpusPresent, loadExchanges, type Exchange } from './golden/corpus.js';
import { Replay } from './golden/replay.js';

/**
 * Golden conformance: every exchange of the real-server corpus, replayed in capture order against ONE fresh
 * emulator (README "Where it came from", "Order"), must get the recorded status, Content-Type and body.
 * Each exchange is a test named `<flow> #<seq> <METHOD> <path>`; allow-listed ones that still differ are
 * reported as skipped, with the reason and their first difference. A per-flow tally is printed at the end.
 */
const present = corpusPresent();
if (!present) console.warn(`golden corpus not found at ${GOLDEN_DIR}; set AUTHLAB_GOLDEN_DIR`);

describe.skipIf(!present)('golden MLflow 3.11 corpus', () => {
  let emulator: StartedEmulator;
  let replay: Replay;
  const tally = new Map<
    string,
    { match: number; differ: number; allowedDiffer: number; allowedMatch: number }
  >();

  beforeAll(async () => {
    // The capture ran at human speed, so every server timestamp differs; the replay is faster, so the clock
    // ticks a millisecond per reading to keep default orderings (creation_time DESC) as they were.
    const base = createClock();
    let ticks = 0;
    const clock = {
      ...base,
      now: () => base.now() + ++ticks,
      nowSeconds: () => Math.floor((base.now() + ticks) / 1000),
    };
    // Runs with equal start times are ordered by run id, so the replay mints the recorded ids in order.
    const recordedRunIds = FLOWS.flatMap((flow) => loadExchanges(flow))
      .filter((ex) => ex.path.endsWith('/runs/create') && ex.status === 200)
      .map((ex) => (ex.response_body as { run: { info: { run_id: string } } }).run.info.run_id);
    emulator = await createMlflowEmulator({ port: 0, clock, newRunId: () => recordedRunIds.shift()! });
    replay = new Replay(emulator.url);
  });

  afterAll(async () => {
    await emulator?.dispose();
    const lines = [...tally].map(
      ([flow, t]) =>
        `${flow.padEnd(26)} ${String(t.match + t.allowedMatch).padStart(3)} / ${t.match + t.differ + t.allowedMatch + t.allowedDiffer} match` +
        `  (${t.differ} differ; allow-listed: ${t.allowedDiffer} differ, ${t.allowedMatch} match)`,
    );
    console.log(`golden exchanges per flow:\n${lines.join('\n')}`);
  });

  for (const flow of present ? FLOWS : []) {
    const exchanges = loadExchanges(flow);
    const counts = { match: 0, differ: 0, allowedDiffer: 0, allowedMatch: 0 };
    tally.set(flow, counts);
    const name = flow.replace(/^client\//, '');

    test.for(exchanges.map((ex) => [`${name} #${ex.seq} ${ex.method} ${ex.path}`, ex] as const))(
      '%s',
      async ([, ex], ctx) => {
        const differences = await replayOne(replay, ex);
        const entry = allowed(ex);
        if (entry && differences.length > 0) {
          counts.allowedDiffer++;
          return ctx.skip(`allow-listed (${entry.reason}): ${differences[0]}`);
        }
        if (entry) counts.allowedMatch++;
        else if (differences.length > 0) counts.differ++;
        else counts.match++;
        expect(differences, `${name} #${ex.seq} ${ex.method} ${ex.path}`).toEqual([]);
      },
    );
  }
});

async function replayOne(replay: Replay, ex: Exchange): Promise<string[]> {
  const reply = await replay.send(ex);
  const learnt = replay.learn(ex, reply);
  return [...learnt, ...compareExchange(ex, replay.rewrite(ex.response_body), reply, replay)];
}
