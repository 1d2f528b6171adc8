import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import jsYaml from 'js-yaml';
import type { Document, LineCounter, Node } from 'yaml';
import type { z } from 'zod';
import { formatPath, type ConfigIssue } from './issues.ts';

/** A parsed YAML file that can say where each key path stands in it. */
export interface YamlSource {
  /** Path as shown to the user (relative to the working directory). */
  file: string;
  text: string;
  /** The document model with positions: built only when an error must be located, since it is large. */
  located?: { doc: Document; lines: LineCounter };
}

let yamlModule: typeof import('yaml') | undefined;

/** The document model of `yaml`, loaded only to locate an error: a gateway with a valid config never needs it. */
function yaml(): typeof import('yaml') {
  yamlModule ??= createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return yamlModule;
}

function parseWithPositions(text: string): { doc: Document; lines: LineCounter } {
  const lines = new (yaml().LineCounter)();
  const doc = yaml().parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  return { doc, lines };
}

function located(source: YamlSource): { doc: Document; lines: LineCounter } {
  source.located ??= parseWithPositions(source.text);
  return source.located;
}

export type ReadResult = { ok: true; source: YamlSource; data: unknown } | { ok: false; issues: ConfigIssue[] };

export function readYamlSource(absolutePath: string, file: string): ReadResult {
  let text: string;
  try {
    text = readFileSync(absolutePath, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : String(error);
    return { ok: false, issues: [{ file, line: 1, column: 1, path: '', message: reason }] };
  }
  let data: unknown;
  try {
    // js-yaml for the data: a tenth of the memory and time of a full document model on a large mapping.
    // The core schema reads values as YAML 1.2 does (no dates, no yes/no booleans).
    data = jsYaml.load(text, { schema: jsYaml.CORE_SCHEMA, filename: file });
  } catch (error) {
    // Parse again with positions, to report every syntax error with its line, not only the first.
    const { doc, lines } = parseWithPositions(text);
    const issues = doc.errors.map((e) => {
      const pos = lines.linePos(e.pos[0]);
      const firstLine = e.message.split('\n')[0] ?? e.message;
      return { file, line: pos.line, column: pos.col, path: '', message: `YAML syntax error: ${firstLine}` };
    });
    if (issues.length > 0) return { ok: false, issues };
    const mark = (error as { mark?: { line: number; column: number }; reason?: string }).mark;
    const reason = (error as { reason?: string }).reason ?? (error as Error).message;
    return { ok: false, issues: [{ file, line: (mark?.line ?? 0) + 1, column: (mark?.column ?? 0) + 1, path: '', message: `YAML syntax error: ${reason}` }] };
  }
  return { ok: true, source: { file, text }, data: data ?? {} };
}

function nodeStart(source: YamlSource, node: unknown): { line: number; column: number } | undefined {
  const range = (node as Node | null)?.range;
  if (!range) return undefined;
  const pos = located(source).lines.linePos(range[0]);
  return { line: pos.line, column: pos.col };
}

/** Where a key path stands: the value node, or its nearest existing ancestor. */
export function locate(source: YamlSource, path: readonly PropertyKey[], key?: string): { line: number; column: number } {
  const keys = path.map((k) => (typeof k === 'number' ? k : String(k)));
  const { doc } = located(source);
  if (key !== undefined) {
    const parent = keys.length === 0 ? doc.contents : doc.getIn(keys, true);
    if (yaml().isMap(parent)) {
      const pair = parent.items.find((item) => yaml().isScalar(item.key) && item.key.value === key);
      const at = pair ? nodeStart(source, pair.key) : undefined;
      if (at) return at;
    }
  }
  for (let depth = keys.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(keys.slice(0, depth), true);
    const at = nodeStart(source, node);
    if (at) return at;
  }
  return { line: 1, column: 1 };
}

export function issueAt(source: YamlSource, path: readonly PropertyKey[], message: string, key?: string): ConfigIssue {
  const at = locate(source, path, key);
  const shown = key === undefined ? path : [...path, key];
  return { file: source.file, line: at.line, column: at.column, path: formatPath(shown), message };
}

function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_value') return `expected one of ${issue.values.map(String).join(', ')}`;
  if (issue.code === 'invalid_union' && 'note' in issue && issue.note === 'No matching discriminator') {
    return 'unknown or missing protocol';
  }
  return issue.message;
}

/** Turns zod's issues into located ones; an unknown key is pointed at the key itself. */
export function zodIssues(source: YamlSource, error: z.ZodError): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push(issueAt(source, issue.path, 'unknown key', key));
    } else {
      out.push(issueAt(source, issue.path, describe(issue)));
    }
  }
  return out;
}
