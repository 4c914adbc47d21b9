// Headless Chromium for the browser tests (DESIGN.md "Testing"): Debian's package, the flags that keep it off
// the closed network, and a one-line skip reason when it is absent.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.AUTHLAB_CHROMIUM ?? '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);

export function warnIfMissing(what: string): void {
  if (!haveChromium) console.warn(`skipping ${what}: no Chromium at ${CHROMIUM} (apt-get install chromium)`);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
