/** The options, sizes and targets of bench:bridge (bench/bridge/main.ts). */
import { parseArgs } from 'node:util';

export const TARGET_APPEND_PER_S = 50_000;
export const TARGET_DRAIN_PER_S = 20_000;
export const TARGET_RSS_BYTES = 200 * 1024 * 1024;

export const HOST = '127.0.0.1';
export const START_TIMEOUT_MS = 60_000;
export const STOP_GRACE_MS = 20_000;

export interface Options {
  quick: boolean;
  /** Messages appended in-process to a BridgeOutbox, per run. */
  appendMessages: number;
  appendRuns: number;
  /** Messages buffered before each drain (gateway and Mosquitto's bridge). */
  drainMessages: number;
  /** Messages buffered for the memory figure. */
  rssMessages: number;
  /** QoS 1 publishes in flight while filling. */
  window: number;
  latencyRate: number;
  latencyWarmupS: number;
  latencyS: number;
  /** Seconds without a new figure after a fill before "after settle" is read. */
  settleS: number;
  /** Run the drain gateway under node --cpu-prof and print where its time went. */
  profile: boolean;
}

export const USAGE = `usage: npm run bench:bridge -- [--quick] [--profile] [--help]
  (or: node --import tsx bench/bridge/main.ts [...] after npm run build)
  --quick    1/10 of the message counts and a 3 s latency run, to try it fast
  --profile  run the gateway of figure 2 under node --cpu-prof and print the hot functions
             of its fill and of its drain (figures are then somewhat lower)
  --help     this text`;

/** Parses argv; null when --help was asked for. */
export function parseOptions(argv: string[]): Options | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean' },
      profile: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return null;
  const quick = values.quick === true;
  const scale = quick ? 10 : 1;
  return {
    quick,
    appendMessages: 200_000 / scale,
    appendRuns: quick ? 1 : 3,
    drainMessages: 200_000 / scale,
    rssMessages: 1_000_000 / scale,
    window: 1000,
    latencyRate: 5000,
    latencyWarmupS: quick ? 1 : 3,
    latencyS: quick ? 3 : 10,
    settleS: quick ? 2 : 5,
    profile: values.profile === true,
  };
}
