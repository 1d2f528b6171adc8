import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderJsonSchemas } from '../../schemas/json-schema.ts';

const root = resolve(import.meta.dirname, '../..');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(entry.name) ? [path] : [];
  });
}

describe('generated JSON Schema', () => {
  it.each([...renderJsonSchemas()])('schemas/%s is current (run `npm run schemas` after changing a zod schema)', (name, text) => {
    expect(readFileSync(join(root, 'schemas', name), 'utf8')).toBe(text);
  });

  it('is named on the first line of every YAML file under config/', () => {
    const files = yamlFiles(join(root, 'config'));
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const file of files) {
      const first = readFileSync(file, 'utf8').split('\n')[0] ?? '';
      const match = /^# yaml-language-server: \$schema=(\S+)$/.exec(first);
      expect(match, file).not.toBeNull();
      const schema = resolve(dirname(file), match?.[1] ?? '');
      expect(existsSync(schema), `${file} names ${schema}`).toBe(true);
      const expected = file.endsWith('gateway.yaml') ? 'gateway.schema.json' : 'mapping.schema.json';
      expect(schema.endsWith(`schemas/${expected}`), file).toBe(true);
    }
  });
});
