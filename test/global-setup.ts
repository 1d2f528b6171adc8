import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

/** Connector workers, the CLI and the web console run the built dist/: build it once before any test. */
export default function setup(): void {
  const tsc = resolve('node_modules/typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  // The web console's page, for the browser tests.
  execFileSync(process.execPath, [tsc, '-p', 'console/tsconfig.json'], { stdio: 'inherit' });
}
