/**
 * Maps positions in a CPU profile of the gateway back to TypeScript source lines.
 *
 * A profile only has positions in the code V8 ran. For the gateway built to
 * dist/ by tsc, that is a .js file with a .js.map next to it. For .ts files run
 * through tsx, it is esbuild output with minified whitespace (almost all on
 * line 1) whose inline map is not on disk, so the file is compiled again here
 * the way tsx does it. Each file's mapping is checked against the names of the
 * functions the profile found in it; when they do not match (the file changed
 * since it was loaded, or tsx compiles differently) its positions are left
 * unmapped.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Frame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface Compiled {
  /** Generated code by line, for checking the mapping against function names. */
  code: string[];
  lookup: Lookup;
  /**
   * Set for built .js files: true when no source is newer than the .js (the
   * map is then exact, no check needed), false when the build is stale.
   */
  fresh: boolean | undefined;
}

type Esbuild = typeof import('esbuild');

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Map([...B64].map((c, i) => [c, i]));

/** Decodes the base64 VLQ numbers of one source map segment. */
function decodeVlq(segment: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const ch of segment) {
    const digit = B64_INDEX.get(ch);
    if (digit === undefined) return values;
    value += (digit & 31) * 2 ** shift;
    if (digit & 32) {
      shift += 5;
    } else {
      values.push(value & 1 ? -Math.floor(value / 2) : Math.floor(value / 2));
      value = 0;
      shift = 0;
    }
  }
  return values;
}

/** One mapping: generated column -> (source index, source line, 0-based). */
type Segment = [number, number, number];

/** Per generated line: mappings sorted by generated column. */
function parseMappings(mappings: string): Segment[][] {
  const lines: Segment[][] = [];
  let srcIdx = 0;
  let srcLine = 0;
  for (const lineText of mappings.split(';')) {
    const segs: Segment[] = [];
    let genCol = 0;
    for (const seg of lineText.split(',')) {
      if (seg === '') continue;
      const v = decodeVlq(seg);
      genCol += v[0] ?? 0;
      if (v.length >= 4) {
        srcIdx += v[1] ?? 0;
        srcLine += v[2] ?? 0;
        segs.push([genCol, srcIdx, srcLine]);
      }
    }
    lines.push(segs);
  }
  return lines;
}

/** Source (absolute path) and 1-based line for a generated position. */
type Lookup = (line0: number, col0: number) => { file: string; line: number } | undefined;

/** `mapFile`: where the map is, to resolve its relative `sources` against. */
function makeLookup(mapJson: string, mapFile: string): { lookup: Lookup; sources: string[] } {
  const parsed: unknown = JSON.parse(mapJson);
  const rec = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  const mappings = typeof rec.mappings === 'string' ? rec.mappings : '';
  const root = typeof rec.sourceRoot === 'string' ? rec.sourceRoot : '';
  const sources = Array.isArray(rec.sources) ? rec.sources.map((x) => path.resolve(path.dirname(mapFile), root, String(x))) : [];
  const lines = parseMappings(mappings);
  const lookup: Lookup = (line0, col0) => {
    const segs = lines[line0];
    if (segs === undefined || segs.length === 0) return undefined;
    let lo = 0;
    let hi = segs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((segs[mid]?.[0] ?? 0) <= col0) lo = mid;
      else hi = mid - 1;
    }
    const seg = segs[lo];
    const file = seg === undefined ? undefined : sources[seg[1]];
    return seg === undefined || file === undefined ? undefined : { file, line: seg[2] + 1 };
  };
  return { lookup, sources };
}

export interface SourceLine {
  /** Absolute path of the .ts source. */
  file: string;
  /** 1-based line in it. */
  line: number;
  /** False when the mapping could not be checked against the profile's function names. */
  verified: boolean;
}

export interface SourceLocator {
  /** Source file and line of a frame in the gateway's own code; undefined when it cannot say. */
  locate(frame: Frame): SourceLine | undefined;
  /** Checks the mapping of each file of the gateway's own code against the named frames in `frames`. */
  validate(frames: readonly Frame[]): void;
}

/**
 * Returns a locator for the gateway's own code: built .js files (mapped through
 * their .js.map, as written by tsc) and .ts files run through tsx (compiled
 * again with esbuild, when it can be loaded).
 */
export async function createSourceLocator(repoRoot: string): Promise<SourceLocator> {
  let esbuild: Esbuild | null = null;
  let tsconfigRaw = '';
  try {
    // esbuild is what tsx compiles with; it is installed with tsx.
    esbuild = await import('esbuild');
    tsconfigRaw = readFileSync(path.join(repoRoot, 'tsconfig.json'), 'utf8');
  } catch {
    esbuild = null;
  }
  const compiled = new Map<string, Compiled | null>();
  const trusted = new Map<string, boolean>();

  const fromTs = (file: string): Compiled | null => {
    if (esbuild === null) return null;
    // The options tsx 4 uses for ESM (see its transform()).
    const out = esbuild.transformSync(readFileSync(file, 'utf8'), {
      target: `node${process.versions.node}`,
      loader: 'default',
      sourcemap: true,
      sourcesContent: false,
      minifyWhitespace: true,
      keepNames: true,
      format: 'esm',
      sourcefile: file,
      tsconfigRaw,
    });
    const { lookup } = makeLookup(out.map, file);
    // The map names the source by `sourcefile`; every position is in `file` anyway.
    const inFile: Lookup = (l, c) => {
      const r = lookup(l, c);
      return r === undefined ? undefined : { file, line: r.line };
    };
    return { code: out.code.split('\n'), lookup: inFile, fresh: undefined };
  };

  const fromJs = (file: string): Compiled | null => {
    const code = readFileSync(file, 'utf8');
    const m = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(code);
    if (!m?.[1] || m[1].startsWith('data:')) return null;
    const mapFile = path.resolve(path.dirname(file), m[1]);
    const { lookup, sources } = makeLookup(readFileSync(mapFile, 'utf8'), mapFile);
    const built = statSync(file).mtimeMs;
    const fresh = sources.every((src) => {
      try {
        return statSync(src).mtimeMs <= built;
      } catch {
        return false;
      }
    });
    return { code: code.split('\n'), lookup, fresh };
  };

  const own = (url: string): string | undefined => {
    if (!url.startsWith('file://') || url.includes('/node_modules/')) return undefined;
    const file = fileURLToPath(url);
    if (!file.startsWith(repoRoot)) return undefined;
    return file.endsWith('.ts') || file.endsWith('.js') ? file : undefined;
  };

  const compile = (url: string): Compiled | null => {
    const hit = compiled.get(url);
    if (hit !== undefined) return hit;
    let result: Compiled | null = null;
    const file = own(url);
    try {
      if (file !== undefined) result = file.endsWith('.ts') ? fromTs(file) : fromJs(file);
    } catch {
      result = null;
    }
    compiled.set(url, result);
    return result;
  };

  return {
    validate(frames) {
      const score = new Map<string, { ok: number; all: number }>();
      for (const f of frames) {
        if (own(f.url) === undefined || f.functionName === '' || f.functionName.startsWith('(')) continue;
        const c = compile(f.url);
        if (c === null || c.fresh !== undefined) continue;
        const line = c.code[f.lineNumber] ?? '';
        const around = line.slice(Math.max(0, f.columnNumber - 40), f.columnNumber + 20);
        const s = score.get(f.url) ?? { ok: 0, all: 0 };
        s.all++;
        // A class shows up under its own name at its constructor.
        if (around.includes(f.functionName) || around.includes('constructor')) s.ok++;
        score.set(f.url, s);
      }
      for (const [url, s] of score) trusted.set(url, s.all > 0 && s.ok / s.all >= 0.8);
    },
    locate(frame) {
      const c = compile(frame.url);
      if (c === null) return undefined;
      const trust = c.fresh ?? trusted.get(frame.url);
      // A stale build still maps to roughly the right place: show it, marked unverified.
      if (trust === false && c.fresh === undefined) return undefined;
      const pos = c.lookup(frame.lineNumber, frame.columnNumber);
      return pos === undefined ? undefined : { ...pos, verified: trust === true };
    },
  };
}
