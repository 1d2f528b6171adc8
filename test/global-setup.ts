import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

/** Connector workers and the CLI run the built dist/: build it once before any test. */
export default function setup(): void {
  execFileSync(process.execPath, [resolve('node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
