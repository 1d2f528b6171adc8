import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's chromium, which .ci/run installs when it is missing. */
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path));

export const hasChromium = CHROMIUM !== undefined;

/** A headless Chromium driven by playwright-core (no browser download: the system's own). */
export function launchBrowser(): Promise<Browser> {
  if (CHROMIUM === undefined) throw new Error('no chromium: apt-get install chromium');
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}
