import { existsSync } from 'node:fs';

/** The e2e tests run the built CLI (dist/), as users do after `npm ci`. */
export default function setup(): void {
  if (!existsSync(new URL('../../dist/cli/main.js', import.meta.url))) {
    throw new Error('dist/ is missing: run "npm run build" before the e2e tests ("npm test" does it).');
  }
}
