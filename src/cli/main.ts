#!/usr/bin/env node
import { enableCompileCache } from 'node:module';
import { hideBin } from 'yargs/helpers';

// Cache compiled code between runs (Node >= 22.1): start-up is mostly parsing oidc-provider, koa and zod.
// It must run before those modules load, hence the dynamic import below.
enableCompileCache?.();
const { main } = await import('./program.js');
process.exitCode = await main(hideBin(process.argv));
