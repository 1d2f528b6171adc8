#!/usr/bin/env node
// Runs the built gateway (dist/, made by `npm run build`, which `npm ci` and `npm start` run).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/src/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('uns-gateway: dist/ is missing; run `npm run build` first\n');
  process.exit(1);
}
await import(cli.href);
