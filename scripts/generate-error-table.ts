import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { withErrorTable } from './error-table.ts';

const readme = fileURLToPath(new URL('../README.md', import.meta.url));
writeFileSync(readme, withErrorTable(readFileSync(readme, 'utf8')));
console.log('wrote the error codes table in README.md');
