#!/usr/bin/env node
import { enableCompileCache } from 'node:module';
// First: it notes the process that started this one before anything else takes time (see lifeline.ts).
import { STARTER_ENV, STARTER_PID } from './lifeline.js';
import { relaunchUpWithLabHeap } from './lab-heap.js';

// `up` relaunches itself with a smaller young generation first, before anything is loaded twice; the relaunched
// process learns who started the first one.
relaunchUpWithLabHeap(process.argv, { [STARTER_ENV]: String(STARTER_PID) });
// Cache compiled code between runs (Node >= 22.1): start-up is mostly parsing oidc-provider, koa and zod.
// It must run before those modules load, hence the dynamic import below.
enableCompileCache?.();
const { tolerateClosedConsole } = await import('./output.js');
tolerateClosedConsole();
const { hideBin } = await import('yargs/helpers');
const { main } = await import('./program.js');
process.exitCode = await main(hideBin(process.argv));
