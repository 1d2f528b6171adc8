/**
 * --profile: where the drain gateway's main thread spent its time in each phase (fill, drain), from the
 * .cpuprofile `node --cpu-prof` wrote at its exit, samples cut to the phase's monotonic window; own code
 * mapped back to its .ts source line (bench/store/sourcemap.ts). Self time of every function, and total
 * time (itself and what it called) of the gateway's own (src/…) functions.
 */
import { pathToFileURL } from 'node:url';
import { forEachSample, readCpuProfile, shortUrl, type CallFrame, type CpuProfile, type MonotonicWindowUs } from '../shared/cpu-profile.ts';
import { REPO_ROOT } from '../shared/repo-root.ts';
import { fmtInt } from '../shared/table.ts';
import { profileFiles } from '../store/profile.ts';
import { createSourceLocator, type SourceLocator } from '../store/sourcemap.ts';

const TOP_SELF = 15;
const TOP_TOTAL = 12;

type Node = CpuProfile['nodes'][number] & { children?: number[] };

export async function profileLines(dir: string, phases: ReadonlyArray<{ name: string; window: MonotonicWindowUs }>): Promise<string[]> {
  const file = profileFiles(dir)[0];
  if (file === undefined) return [`no .cpuprofile in ${dir}`];
  const profile = readCpuProfile(file);
  const locator = await createSourceLocator(REPO_ROOT);
  locator.validate(profile.nodes.map((node) => node.callFrame));
  const nodeOf = new Map<CallFrame, Node>(profile.nodes.map((node) => [node.callFrame, node]));
  const parentOf = new Map<number, Node>();
  for (const node of profile.nodes as Node[]) for (const child of node.children ?? []) parentOf.set(child, node);
  const labels = new Map<CallFrame, string>();
  const labelOf = (frame: CallFrame): string => {
    let text = labels.get(frame);
    if (text === undefined) {
      text = label(frame, locator);
      labels.set(frame, text);
    }
    return text;
  };
  const lines: string[] = [];
  for (const phase of phases) {
    const self = new Map<string, number>();
    const total = new Map<string, number>();
    let busy = 0;
    let idle = 0;
    forEachSample(
      profile,
      (frame, us) => {
        if (frame.functionName === '(idle)') {
          idle += us;
          return;
        }
        busy += us;
        const key = labelOf(frame);
        self.set(key, (self.get(key) ?? 0) + us);
        const seen = new Set<string>();
        for (let node = nodeOf.get(frame); node !== undefined; node = parentOf.get(node.id)) {
          const own = labelOf(node.callFrame);
          if (!own.includes('  src/') || seen.has(own)) continue;
          seen.add(own);
          total.set(own, (total.get(own) ?? 0) + us);
        }
      },
      phase.window,
    );
    const wall = (phase.window.to - phase.window.from) / 1000;
    lines.push(`gateway main thread, ${phase.name}: ${fmtInt(wall)} ms wall, busy ${fmtInt(busy / 1000)} ms, idle ${fmtInt(idle / 1000)} ms`);
    lines.push(`  top ${TOP_SELF} by self time (share of busy):`);
    lines.push(...top(self, busy, TOP_SELF));
    lines.push(`  top ${TOP_TOTAL} of the gateway's own functions by total time (itself and what it calls):`);
    lines.push(...top(total, busy, TOP_TOTAL));
  }
  return lines;
}

function top(times: Map<string, number>, busy: number, n: number): string[] {
  return [...times.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([key, us]) => `  ${((us / busy) * 100).toFixed(1).padStart(5)}% ${fmtInt(us / 1000).padStart(6)} ms  ${key}`);
}

/** "name  where": where is the .ts line for the gateway's own code, else the file and line run. */
function label(frame: CallFrame, locator: SourceLocator): string {
  const src = locator.locate(frame);
  const where =
    src !== undefined
      ? `${shortUrl(pathToFileURL(src.file).href, REPO_ROOT)}:${src.line}`
      : frame.url === ''
        ? ''
        : `${shortUrl(frame.url, REPO_ROOT)}:${frame.lineNumber + 1}`;
  return `${frame.functionName === '' ? '(anonymous)' : frame.functionName}  ${where}`;
}
