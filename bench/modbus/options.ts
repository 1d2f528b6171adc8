/** The options, constants and measurements of bench:modbus (bench/modbus/main.ts). */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { intOption } from '../shared/int-option.ts';
import { type ChangeLatencies } from './latency.ts';
import { type MonotonicWindowUs } from '../shared/cpu-profile.ts';
import { type CountsSnapshot } from './sim-client.ts';
import { type StopResult } from '../shared/process.ts';

export const MB = 1_000_000;
export const TARGET_RSS_MB = 120;
export const TARGET_CPU_PCT = 5;
export const MAX_REGISTERS_PER_READ = 125;
/** The planner's default: unused registers one read may span to join two tags. */
export const DEFAULT_MAX_GAP = 10;
export const WRITE_TIMEOUT_MS = 5000;
const MAX_DEVICES = 200;
export const USAGE = `usage: node --import tsx bench/modbus/main.ts [options]
  --devices N          simulated Modbus TCP devices (default 10)
  --registers N        holding registers per device, one uint16 tag each (default 1000)
  --interval-ms N      poll interval (default 1000)
  --changes N          random register changes per device per second (default 20)
  --warmup S           seconds of warm-up before the window (default 10)
  --window S           steady-state window in seconds (default 30)
  --writes N           /set round trips, one at a time, spread over the window (default 100)
  --sub-qos 0|1        QoS of the bench/# subscription (default 1)
  --tags LIST          footprint sweep: one measurement per tag count and start script, comma-separated
                       (e.g. 10000,50000: devices = tags / --registers), then a table of RSS and CPU
                       against tags with the growth per 10,000 tags; replaces --devices
  --start LIST         npm scripts to run the gateway as, one measurement each, comma-separated
                       (default start,start:lowmem: V8's default heap, then the low-memory profile)
  --cpu-prof DIR       run the gateway under node --cpu-prof, keep the profiles in DIR and print
                       the top self-time functions of the window (CPU figures are then inflated)
  -h, --help           this help
One tag per device (the last register) is mapped writable and is the one the writes go to;
random changes leave it alone.`;

export interface Options {
  devices: number;
  registers: number;
  intervalMs: number;
  changesPerDeviceS: number;
  warmupMs: number;
  windowMs: number;
  writes: number;
  subQos: 0 | 1;
  cpuProfDir: string | undefined;
  scripts: string[];
  /** Device counts of a --tags sweep, ascending; undefined without --tags. */
  sweepDevices: number[] | undefined;
}

/** `--tags 10000,50000` → device counts of `registers` tags each. */
function sweepDevices(list: string, registers: number): number[] {
  const devices = list.split(',').filter((item) => item !== '').map((item) => {
    const tags = Number(item);
    const n = tags / registers;
    if (!Number.isInteger(n) || n < 1 || n > MAX_DEVICES) throw new Error(`--tags: ${item} is not a multiple of --registers ${registers} in 1 … ${MAX_DEVICES} devices`);
    return n;
  });
  if (devices.length < 2) throw new Error('--tags needs at least two tag counts');
  return [...new Set(devices)].sort((a, b) => a - b);
}

export function parseOptions(argv: string[]): Options | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      devices: { type: 'string' },
      registers: { type: 'string' },
      'interval-ms': { type: 'string' },
      changes: { type: 'string' },
      warmup: { type: 'string' },
      window: { type: 'string' },
      writes: { type: 'string' },
      'sub-qos': { type: 'string' },
      'cpu-prof': { type: 'string' },
      start: { type: 'string' },
      tags: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return null;
  const registers = intOption(values.registers, 1000, 'registers', 2, 65535);
  return {
    devices: intOption(values.devices, 10, 'devices', 1, MAX_DEVICES),
    registers,
    intervalMs: intOption(values['interval-ms'], 1000, 'interval-ms', 10, 60_000),
    changesPerDeviceS: intOption(values.changes, 20, 'changes', 0, 10_000),
    warmupMs: intOption(values.warmup, 10, 'warmup', 0, 600) * 1000,
    windowMs: intOption(values.window, 30, 'window', 1, 600) * 1000,
    writes: intOption(values.writes, 100, 'writes', 0, 100_000),
    subQos: intOption(values['sub-qos'], 1, 'sub-qos', 0, 1) === 0 ? 0 : 1,
    cpuProfDir: values['cpu-prof'] === undefined ? undefined : path.resolve(values['cpu-prof']),
    scripts: (values.start ?? 'start,start:lowmem').split(',').filter((script) => script !== ''),
    sweepDevices: values.tags === undefined ? undefined : sweepDevices(values.tags, registers),
  };
}

export interface WriteStats {
  latenciesMs: number[];
  failed: number;
  timedOut: number;
  wrongValue: number;
}

export interface Measurements {
  layout: Options & { tags: number };
  /** The npm script the gateway ran as, and its node flags. */
  script: string;
  nodeFlags: string[];
  startupMs: number;
  allValuesMs: number;
  windowS: number;
  cpuSeconds: number;
  simCpuSeconds: number;
  hostBusySeconds: number;
  rssSamples: number[];
  threads: number;
  /** Anonymous part of the RSS at the end of the window. */
  anonymousBytes: number;
  countsBefore: CountsSnapshot;
  countsAfter: CountsSnapshot;
  changes: ChangeLatencies;
  writes: WriteStats;
  valueMessages: number;
  badMessages: number;
  malformed: number;
  problems: string[];
  stop: StopResult | undefined;
  monotonicWindow: MonotonicWindowUs;
  /** os.loadavg() at the end of the window: the machine is shared. */
  loadAverage: number[];
}
