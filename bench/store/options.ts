/** The options and constants of bench:store (bench/store/main.ts). */
import { readFileSync } from 'node:fs';

export const TARGET_RATIO = 0.7; // sqlite / memory QoS 1 throughput, higher is better
export const TARGET_RETAINED_MS = 1000; // new `#` subscriber gets all retained topics
export const TARGET_RETAINED_RESTARTED_MS = 1500; // the same, right after a restart

export const HOST = '127.0.0.1';
export const START_TIMEOUT_MS = 30_000;
export const STOP_GRACE_MS = 15_000;
export const SETUP_TIMEOUT_MS = 45_000; // load generator start + connect + warm-up
export const TOTAL_TIMEOUT_MS = 6 * 60_000;

export interface Options {
  messages: number;
  warmup: number;
  runs: number;
  window: number;
  payloadBytes: number;
  retained: number;
  tagsPerAsset: number;
  fillWindow: number;
  readQos: 0 | 1;
  reader: 'raw' | 'mqtt.js';
  profile: boolean;
  memoryRetained: boolean;
  /** Also read the retained values from Mosquitto, the reference. */
  mosquitto: boolean;
  build: boolean;
}

export function parseOptions(argv: readonly string[]): Options {
  const o: Options = {
    messages: 30_000,
    warmup: 3_000,
    runs: 3,
    window: 200,
    payloadBytes: 100,
    retained: 100_000,
    tagsPerAsset: 100,
    fillWindow: 500,
    readQos: 1,
    reader: 'raw',
    profile: false,
    memoryRetained: true,
    mosquitto: true,
    build: true,
  };
  const int = (flag: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`${flag} needs an integer >= ${min}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--messages') o.messages = int(a, argv[++i], 100);
    else if (a === '--runs') o.runs = int(a, argv[++i], 1);
    else if (a === '--window') o.window = int(a, argv[++i], 1);
    else if (a === '--retained') o.retained = int(a, argv[++i], 1);
    else if (a === '--reader') o.reader = readerOption(argv[++i]);
    else if (a === '--profile') o.profile = true;
    else if (a === '--no-memory-retained') o.memoryRetained = false;
    else if (a === '--no-mosquitto') o.mosquitto = false;
    else if (a === '--no-build') o.build = false;
    else if (a === '--help' || a === '-h') {
      process.stdout.write(
        'usage: node --import tsx bench/store/main.ts [--messages N] [--runs N] [--window N] [--retained N] [--reader raw|mqtt.js] [--profile] [--no-memory-retained] [--no-mosquitto] [--no-build]\n',
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

function readerOption(value: string | undefined): Options['reader'] {
  if (value === 'raw' || value === 'mqtt.js') return value;
  throw new Error('--reader needs raw (a lean subscriber: socket and parser) or mqtt.js');
}

/** Filesystem type of the mount holding `dir` (fsync cost depends on it). */
export function fsTypeOf(dir: string): string {
  try {
    let best = '';
    let type = 'unknown';
    for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
      const [, mnt, fstype] = line.split(' ');
      if (mnt === undefined || fstype === undefined) continue;
      const prefix = mnt.endsWith('/') ? mnt : `${mnt}/`;
      if ((dir === mnt || dir.startsWith(prefix)) && mnt.length > best.length) {
        best = mnt;
        type = fstype;
      }
    }
    return type;
  } catch {
    return 'unknown';
  }
}
