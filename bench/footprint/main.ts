/**
 * Footprint of the gateway process: RSS and CPU (% of one core, every thread) over a window after a
 * warm-up, idle (no device; the demo plant of `npm start`) and at bench:modbus's load, each for the node
 * flags of `npm start` and of `npm run start:lowmem`. Prints one table: start script × load.
 *
 *   node --import tsx bench/footprint/main.ts [--help]
 */
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { intOption } from '../shared/int-option.ts';
import { distWarning } from '../shared/measured-gateway.ts';
import { REPO_ROOT } from '../shared/repo-root.ts';
import { runMain } from '../shared/run-main.ts';
import { startNodeFlags } from '../shared/start-flags.ts';
import { median } from '../shared/stats.ts';
import { fmtNum, formatTable } from '../shared/table.ts';
import { LOADS, demoPlant, emptyGateway, modbusLoad, type LoadName, type LoadResult, type RunSettings } from './loads.ts';
import { optionsOrExitCode } from '../shared/command-line.ts';

const MB = 1_000_000;
const USAGE = `usage: node --import tsx bench/footprint/main.ts [options]
  --warmup S      seconds between "running" and the window (default 10)
  --window S      seconds sampled, once a second (default 20)
  --start LIST    npm scripts whose node flags the gateway runs with, comma-separated
                  (default start,start:lowmem)
  --loads LIST    comma-separated, of (default all three):
                    empty   the broker and the store: no device, no client
                    demo    the demo plant of \`npm start\` (config/gateway.yaml), no client
                    modbus  bench:modbus's polling load and subscriber
  -h, --help      this help`;

interface Options {
  warmupMs: number;
  windowMs: number;
  scripts: string[];
  loads: LoadName[];
}

function isLoad(name: string): name is LoadName {
  return (LOADS as readonly string[]).includes(name);
}

function parseOptions(argv: string[]): Options | null {
  const { values } = parseArgs({
    args: argv,
    options: { warmup: { type: 'string' }, window: { type: 'string' }, start: { type: 'string' }, loads: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) return null;
  const loads = (values.loads ?? LOADS.join(',')).split(',').filter((name) => name !== '');
  const unknown = loads.filter((name) => !isLoad(name));
  if (unknown.length > 0) throw new Error(`--loads: unknown ${unknown.join(', ')} (expected ${LOADS.join(', ')})`);
  return {
    warmupMs: intOption(values.warmup, 10, 'warmup', 0, 600) * 1000,
    windowMs: intOption(values.window, 20, 'window', 2, 600) * 1000,
    scripts: (values.start ?? 'start,start:lowmem').split(',').filter((script) => script !== ''),
    loads: loads.filter(isLoad),
  };
}

const RUNS: Record<LoadName, (settings: RunSettings) => Promise<LoadResult>> = { empty: emptyGateway, demo: demoPlant, modbus: modbusLoad };

function progress(message: string): void {
  process.stderr.write(`[bench:footprint] ${message}\n`);
}

interface Row {
  script: string;
  load: LoadName;
  result: LoadResult;
}

function report(rows: readonly Row[], options: Options): string {
  const table = formatTable(
    ['npm script', 'load', 'RSS median MB', 'RSS peak MB', 'CPU % (mean)', 'CPU % (max 1 s)', 'threads', 'host busy'],
    rows.map(({ script, load, result: { footprint: f } }) => [
      script,
      load,
      fmtNum(median(f.rss) / MB, 1),
      fmtNum(Math.max(...f.rss) / MB, 1),
      fmtNum(f.cpuPct, 1),
      fmtNum(Math.max(...f.cpuPctPerSecond), 1),
      String(f.threads),
      `${fmtNum(f.hostBusyPct, 0)} %`,
    ]),
    (column) => column > 1,
  );
  const lines = [
    `Gateway footprint: ${options.windowMs / 1000} s window after ${options.warmupMs / 1000} s warm-up, sampled from /proc once a second`,
    `host: ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}`,
    '',
    table,
    '',
    'MB = 10^6 bytes (VmRSS). CPU = utime+stime of every gateway thread / wall time, % of one core.',
    'host busy = every process on the machine, % of all its cores: anything else running shows up there.',
    ...options.scripts.map((script) => `${script}: node ${startNodeFlags(REPO_ROOT, script).join(' ') || '(no flags)'}`),
    ...[...new Map(rows.map(({ load, result }) => [load, result.setup])).entries()].map(([load, setup]) => `${load}: ${setup}`),
  ];
  for (const { script, load, result } of rows) {
    if (result.stopCode !== 0) lines.push(`${script} × ${load}: the gateway did not stop cleanly (exit code ${result.stopCode ?? 'none: killed'})`);
    for (const line of result.problems.slice(0, 3)) lines.push(`${script} × ${load}: gateway: ${line.length > 300 ? `${line.slice(0, 300)}…` : line}`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const parsed = optionsOrExitCode(parseOptions, USAGE);
  if ('exitCode' in parsed) {
    process.exitCode = parsed.exitCode;
    return;
  }
  const { options } = parsed;
  const stale = distWarning(REPO_ROOT);
  if (stale !== undefined) progress(`warning: ${stale}`);
  const rows: Row[] = [];
  for (const script of options.scripts) {
    for (const load of options.loads) {
      const settings = { script, warmupMs: options.warmupMs, windowMs: options.windowMs, progress };
      rows.push({ script, load, result: await RUNS[load](settings) });
    }
  }
  process.stdout.write(`\n${report(rows, options)}\n`);
}

runMain('bench:footprint', main, 10 * 60_000);
