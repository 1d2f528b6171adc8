import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT as repoRoot } from '../shared/repo-root.ts';

/** What one repetition measures, in this order; all but `gateway` (the baseline) can be skipped. */
export const VARIANTS = ['gateway', 'gateway-acl', 'gateway-10k', 'gateway-acl-10k', 'aedes', 'mosquitto'] as const;
export type VariantName = (typeof VARIANTS)[number];

export interface BenchOptions {
  runs: number;
  messages: number;
  publishers: number;
  rttMessages: number;
  payloadBytes: number;
  window: number;
  rttWindow: number;
  /** Round trips in flight in the second, pipelined QoS 1 phase (0: not run). */
  rttPipeline: number;
  budgetSec: number;
  gatewayBin: string;
  skip: ReadonlySet<VariantName>;
  cpuProfDir: string | undefined;
}


export const USAGE = `usage: node --import tsx bench/broker/main.ts [options]
  --runs N            repetitions per variant, median reported (default 3)
  --messages N        QoS 0 fan-in messages per run (default 300000: about 2 s on the gateway, 200 ticks of CPU time)
  --publishers N      fan-in publisher clients (default 4)
  --rtt-messages N    QoS 1 round trips per run (default 20000: CPU time in ticks of 0.5 µs per message)
  --payload N         payload bytes (default 64)
  --window N          fan-in: max messages published but not yet received (default 2000)
  --rtt-window N      QoS 1: max round trips in flight (default 1)
  --rtt-pipeline N    a second QoS 1 phase with N round trips in flight, as a busy subscriber sees
                      them (default 50; 0 = not run)
  --budget S          soft time budget in seconds; no new repetition starts after it (default 150)
  --gateway-bin PATH  gateway entry point (default bin/uns-gateway.js)
  --skip LIST         variants not to run, comma-separated: gateway-acl, gateway-10k, gateway-acl-10k, aedes, mosquitto
                      (gateway: no ACL; -acl: 20 roles x 10 patterns; -10k: 10,000 topics per publisher, fan-in only;
                      aedes: bare aedes, the library the gateway's broker is built on, with nothing of the gateway's)
  --no-mosquitto      same as --skip mosquitto
  --cpu-prof DIR      run the gateways under node --cpu-prof, profiles written to DIR when they stop`;

function int(v: string | undefined, def: number, name: string, min: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}`);
  return n;
}

/** Parse argv; returns null when --help was asked for. */
export function parseOptions(argv: string[]): BenchOptions | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: 'string' },
      messages: { type: 'string' },
      publishers: { type: 'string' },
      'rtt-messages': { type: 'string' },
      payload: { type: 'string' },
      window: { type: 'string' },
      'rtt-window': { type: 'string' },
      'rtt-pipeline': { type: 'string' },
      budget: { type: 'string' },
      'gateway-bin': { type: 'string' },
      skip: { type: 'string' },
      'no-mosquitto': { type: 'boolean' },
      'cpu-prof': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return null;
  return {
    runs: int(values.runs, 3, 'runs', 1),
    messages: int(values.messages, 300_000, 'messages', 1),
    publishers: int(values.publishers, 4, 'publishers', 1),
    rttMessages: int(values['rtt-messages'], 20_000, 'rtt-messages', 1),
    payloadBytes: int(values.payload, 64, 'payload', 0),
    window: int(values.window, 2_000, 'window', 1),
    rttWindow: int(values['rtt-window'], 1, 'rtt-window', 1),
    rttPipeline: int(values['rtt-pipeline'], 50, 'rtt-pipeline', 0),
    budgetSec: int(values.budget, 150, 'budget', 1),
    gatewayBin: path.resolve(values['gateway-bin'] ?? path.join(repoRoot, 'bin', 'uns-gateway.js')),
    skip: skipped(values.skip, values['no-mosquitto'] === true),
    cpuProfDir: values['cpu-prof'] === undefined ? undefined : path.resolve(values['cpu-prof']),
  };
}

function skipped(list: string | undefined, noMosquitto: boolean): Set<VariantName> {
  const names = new Set<VariantName>(noMosquitto ? ['mosquitto'] : []);
  for (const name of (list ?? '').split(',').filter((n) => n !== '')) {
    const variant = VARIANTS.find((v) => v === name);
    if (variant === undefined || variant === 'gateway') {
      throw new Error(`--skip takes ${VARIANTS.filter((v) => v !== 'gateway').join(', ')}; not "${name}"`);
    }
    names.add(variant);
  }
  return names;
}

