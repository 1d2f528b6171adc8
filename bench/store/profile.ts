/**
 * Summarises a V8 .cpuprofile (as written by `node --cpu-prof`): self time per
 * function and per module, as a share of the busy (non-idle) time.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import {
  forEachSample,
  profileFiles as allProfileFiles,
  readCpuProfile,
  shortUrl as sharedShortUrl,
  threadIdOf,
  type CallFrame,
} from '../shared/cpu-profile.ts';

import type { SourceLocator } from './sourcemap.ts';
import { REPO_ROOT } from '../shared/repo-root.ts';

export interface ProfileEntry {
  name: string;
  where: string;
  selfMs: number;
  /** Of the busy time (everything but "(idle)"). */
  share: number;
}

export interface ProfileSummary {
  file: string;
  wallMs: number;
  busyMs: number;
  idleMs: number;
  functions: ProfileEntry[];
  modules: ProfileEntry[];
}

/** A short location: "aedes/lib/client.js", "src/store/outgoing.ts", "node:internal/...". */
function shortUrl(url: string): string {
  return sharedShortUrl(url, REPO_ROOT).replace(/^node_modules\//, '');
}

/** The package (node_modules), the file under the repo, or the node: module group. */
function moduleOf(url: string): string {
  if (url === '') return '(native / VM)';
  const u = shortUrl(url);
  if (url.includes('node_modules/')) {
    const parts = u.split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1] ?? ''}` : (parts[0] ?? u);
  }
  if (u.startsWith('node:')) {
    const parts = u.split('/');
    return parts.length > 2 ? `${parts[0]}/${parts[1]}` : u;
  }
  return u;
}

/** "file:line" and the module for the by-module list; the gateway's own code mapped to its .ts source. */
function location(cf: CallFrame, locator: SourceLocator | null): { where: string; module: string } {
  const src = locator?.locate(cf);
  if (src !== undefined) {
    const file = shortUrl(pathToFileURL(src.file).href);
    return { where: `${file}:${src.line}${src.verified ? '' : '?'}`, module: file };
  }
  const module = moduleOf(cf.url);
  if (cf.url === '') return { where: '', module };
  if (cf.url.endsWith('.ts')) return { where: `${shortUrl(cf.url)} (generated ${cf.lineNumber + 1}:${cf.columnNumber + 1})`, module };
  return { where: `${shortUrl(cf.url)}:${cf.lineNumber + 1}`, module };
}

function top(map: Map<string, { name: string; where: string; us: number }>, busyUs: number, n: number): ProfileEntry[] {
  return [...map.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, n)
    .map((e) => ({ name: e.name, where: e.where, selfMs: e.us / 1000, share: busyUs > 0 ? e.us / busyUs : 0 }));
}

/** `locator` maps positions in the gateway's .ts files (compiled by tsx) back to source lines. */
export function summariseProfile(file: string, n: number, locator: SourceLocator | null): ProfileSummary {
  const prof = readCpuProfile(file);
  locator?.validate(prof.nodes.map((node) => node.callFrame));
  const fns = new Map<string, { name: string; where: string; us: number }>();
  const mods = new Map<string, { name: string; where: string; us: number }>();
  let idleUs = 0;
  let busyUs = 0;
  forEachSample(prof, (cf, us) => {
    const name = cf.functionName === '' ? '(anonymous)' : cf.functionName;
    if (name === '(idle)') {
      idleUs += us;
      return;
    }
    busyUs += us;
    const { where, module } = location(cf, locator);
    const key = `${name}\u0000${where}`;
    const f = fns.get(key) ?? { name, where, us: 0 };
    f.us += us;
    fns.set(key, f);
    const mod = name.startsWith('(') && cf.url === '' ? name : module;
    const m = mods.get(mod) ?? { name: mod, where: '', us: 0 };
    m.us += us;
    mods.set(mod, m);
  });
  return {
    file,
    wallMs: (prof.endTime - prof.startTime) / 1000,
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    functions: top(fns, busyUs, n),
    modules: top(mods, busyUs, 10),
  };
}

/**
 * The main-thread profiles in `dir`. Node names them CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile;
 * thread 0 is the main thread (others are e.g. the tsx module-loader hooks thread).
 */
export function profileFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const all = allProfileFiles(dir);
  const main = all.filter((file) => threadIdOf(file) === 0);
  return main.length > 0 ? main : all;
}

export function formatProfile(title: string, s: ProfileSummary): string[] {
  const pct = (x: number): string => `${(x * 100).toFixed(1).padStart(5)}%`;
  const ms = (x: number): string => `${Math.round(x).toLocaleString('en-US').padStart(7)} ms`;
  const lines = [
    `${title}: wall ${ms(s.wallMs).trim()}, busy ${ms(s.busyMs).trim()}, idle ${ms(s.idleMs).trim()} (shares are of busy time; whole gateway lifetime incl. start-up)`,
    `  top ${s.functions.length} functions by self time:`,
  ];
  s.functions.forEach((f, i) => {
    lines.push(`  ${String(i + 1).padStart(2)}. ${pct(f.share)} ${ms(f.selfMs)}  ${f.name}${f.where ? `  ${f.where}` : ''}`);
  });
  lines.push('  self time by module:');
  for (const m of s.modules) lines.push(`      ${pct(m.share)} ${ms(m.selfMs)}  ${m.name}`);
  return lines;
}
