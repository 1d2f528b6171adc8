import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, relative, resolve } from 'node:path';

export type MappingEntry =
  | { ok: true; index: number; files: string[] }
  | { ok: false; index: number; message: string };

function displayPath(absolute: string): string {
  const rel = relative(process.cwd(), absolute);
  return rel.startsWith('..') ? absolute : rel;
}

/** A `*` matches any run of characters; `.yaml` and `.yml` at the end match each other, since both are YAML. */
function globToRegExp(pattern: string): RegExp {
  const yamlExtension = /\.ya?ml$/.exec(pattern);
  const stem = yamlExtension ? pattern.slice(0, yamlExtension.index) : pattern;
  const escaped = stem.replace(/[.+^${}()|[\]\\?]/g, '\\$&').replace(/\*/g, '[^/]*');
  return new RegExp(`^${escaped}${yamlExtension ? '\\.ya?ml' : ''}$`);
}

/** Resolves the `mappings:` entries of gateway.yaml against its folder; a `*` may stand in the file name. */
export function resolveMappingEntries(configDir: string, entries: readonly string[]): MappingEntry[] {
  return entries.map((entry, index): MappingEntry => {
    const absolute = resolve(configDir, entry);
    const name = basename(absolute);
    if (!name.includes('*')) {
      return existsSync(absolute)
        ? { ok: true, index, files: [absolute] }
        : { ok: false, index, message: `mapping file "${entry}" not found (looked for ${displayPath(absolute)})` };
    }
    const folder = dirname(absolute);
    const pattern = globToRegExp(name);
    const files = existsSync(folder)
      ? readdirSync(folder).filter((file) => pattern.test(file)).sort().map((file) => resolve(folder, file))
      : [];
    return files.length > 0
      ? { ok: true, index, files }
      : { ok: false, index, message: `mapping pattern "${entry}" matches no file (looked in ${displayPath(folder)})` };
  });
}

export { displayPath };
