import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The Node.js flags an npm script (`start`, `start:lowmem`) runs the gateway with, from package.json. */
export function startNodeFlags(repoRoot: string, script = 'start'): string[] {
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
  const match = /\bnode((?: --\S+)*) bin\/uns-gateway\.js run\b/.exec(pkg.scripts?.[script] ?? '');
  if (!match) throw new Error(`package.json scripts["${script}"] does not run \`node [flags] bin/uns-gateway.js run\``);
  return (match[1] ?? '').split(' ').filter((flag) => flag !== '');
}
