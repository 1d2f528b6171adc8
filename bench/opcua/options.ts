/** The options of bench:opcua (bench/opcua/main.ts). */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { intOption } from '../shared/int-option.ts';
import type { LoadPattern } from './protocol.ts';

export const MB = 1_000_000;
export const SERVER_MAX_ITEMS_PER_CALL = 1000;
/** The mapping gives no queueSize: every monitored item has the tag schema's default (schemas/opcua.ts). */
export const TAG_QUEUE_SIZE = 1;
export const TARGET_P99_MS = 50;
export const TARGET_RSS_MB = 300;
/** The targets for the gateway's CPU per value: against the bare client's, and the capacity it implies at one core. */
export const TARGET_COST_RATIO = 1.5;
export const TARGET_CAPACITY_PER_CORE = 100_000;

/** The load patterns the benchmark knows, by name. */
export const LOADS: Record<string, { pattern: LoadPattern; label: string }> = {
  full: { pattern: { tickMs: 100, every: 1 }, label: 'all every 100 ms' },
  tenth: { pattern: { tickMs: 100, every: 10 }, label: '10 % every 100 ms' },
  '1s': { pattern: { tickMs: 1000, every: 1 }, label: 'all every 1 s' },
  // Light enough for 50,000 items (5,000 changes/s) on a server that makes some 30,000 a second here.
  '10s': { pattern: { tickMs: 1000, every: 10 }, label: '10 % every 1 s' },
  // The same rates with the changes spread over each 100 ms rather than made in one burst: items of a
  // plant change at their own moments, not all in one instant.
  'full-spread': { pattern: { tickMs: 10, every: 10 }, label: 'all every 100 ms, a tenth every 10 ms' },
  'tenth-spread': { pattern: { tickMs: 10, every: 100 }, label: '10 % every 100 ms, 1 % every 10 ms' },
};

export const USAGE = `usage: node --import tsx bench/opcua/main.ts [options]
  --items N            Double variables on the server, all mapped (default 10000)
  --loads LIST         comma-separated change patterns, measured in this order
                       (default tenth-spread,full-spread,tenth,full):
                         full   every item changes every 100 ms (items × 10 changes/s)
                         tenth  a rotating 10 % of the items changes every 100 ms
                         1s     every item changes every 1 s
                         10s    a rotating 10 % of the items changes every 1 s (each every 10 s)
                         full-spread, tenth-spread: the rates of full and tenth, with the changes
                                made a tenth at a time every 10 ms rather than all in one burst
  --warmup S           seconds of load before each window (default 10)
  --window S           steady-state window per load, seconds (default 20)
  --publishing-ms N    the device's publishingIntervalMs, also the fastest one the server grants
                       (default 10)
  --sampling-ms LIST   comma-separated samplingIntervalMs of the device, also the variables'
                       MinimumSamplingInterval; the whole run (server, gateway, every load) is repeated
                       for each. 0 = exception-based monitored items: the server reports each change
                       as it is made instead of sampling every item on a timer (default 0)
  --budget S           soft time budget in seconds: a load (or a configuration) that would end after
                       it is skipped and reported as such (default 330)
  --footprint SIZES    instead: RSS and CPU of the gateway at each of these item counts (comma-separated,
                       e.g. 10000,50000), for each --start script, under --loads (default 10s), with
                       the growth per 10,000 items; no bare client, no --budget
  --start LIST         with --footprint: npm scripts to run the gateway as, comma-separated
                       (default start,start:lowmem)
  --cpu-prof DIR       run the gateway under node --cpu-prof, keep the profiles in DIR and print the
                       top self-time functions of each window (CPU figures are then inflated; the
                       profiled gateway is slower to start and stop, so give it a larger --budget)
  -h, --help           this help
Targets (from the issue): every change delivered, p99 source → subscriber < ${TARGET_P99_MS} ms, gateway RSS < ${TARGET_RSS_MB} MB;
gateway CPU per value ≤ ${TARGET_COST_RATIO}× the bare node-opcua client's (measured before the gateway at each load, the same
subscription settings), and an implied capacity ≥ ${TARGET_CAPACITY_PER_CORE.toLocaleString('en-US')} values/s per core.`;

export interface Options {
  items: number;
  loads: string[];
  warmupMs: number;
  windowMs: number;
  publishingMs: number;
  samplingMs: number[];
  budgetMs: number;
  cpuProfDir: string | undefined;
  /** Item counts for the footprint mode; undefined: the normal run. */
  footprint: number[] | undefined;
  /** With --footprint: the npm scripts the gateway runs as. */
  scripts: string[];
}

export function parseOptions(argv: string[]): Options | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      items: { type: 'string' },
      loads: { type: 'string' },
      warmup: { type: 'string' },
      window: { type: 'string' },
      'publishing-ms': { type: 'string' },
      'sampling-ms': { type: 'string' },
      budget: { type: 'string' },
      'cpu-prof': { type: 'string' },
      footprint: { type: 'string' },
      start: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return null;
  const footprint = values.footprint?.split(',').map((v) => intOption(v.trim(), 10_000, 'footprint', 1, 200_000));
  const loads = (values.loads ?? (footprint === undefined ? 'tenth-spread,full-spread,tenth,full' : '10s')).split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const name of loads) if (LOADS[name] === undefined) throw new Error(`--loads: unknown pattern "${name}" (known: ${Object.keys(LOADS).join(', ')})`);
  if (loads.length === 0) throw new Error('--loads: give at least one pattern');
  return {
    items: intOption(values.items, 10_000, 'items', 1, 200_000),
    loads,
    warmupMs: intOption(values.warmup, 10, 'warmup', 0, 600) * 1000,
    windowMs: intOption(values.window, 20, 'window', 1, 600) * 1000,
    publishingMs: intOption(values['publishing-ms'], 10, 'publishing-ms', 10, 60_000),
    samplingMs: (values['sampling-ms'] ?? '0').split(',').map((v) => intOption(v.trim(), 50, 'sampling-ms', 0, 60_000)),
    budgetMs: intOption(values.budget, 330, 'budget', 10, 3600) * 1000,
    cpuProfDir: values['cpu-prof'] === undefined ? undefined : path.resolve(values['cpu-prof']),
    footprint,
    scripts: (values.start ?? 'start,start:lowmem').split(',').map((s) => s.trim()).filter((s) => s !== ''),
  };
}

