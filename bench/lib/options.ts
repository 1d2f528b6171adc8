import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export interface BenchOptions {
  runs: number;
  messages: number;
  publishers: number;
  rttMessages: number;
  payloadBytes: number;
  window: number;
  rttWindow: number;
  budgetSec: number;
  gatewayBin: string;
  mosquitto: boolean;
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export const USAGE = `usage: node --import tsx bench/broker.ts [options]
  --runs N            repetitions per broker, median reported (default 3)
  --messages N        QoS 0 fan-in messages per run (default 200000)
  --publishers N      fan-in publisher clients (default 4)
  --rtt-messages N    QoS 1 round trips per run (default 5000)
  --payload N         payload bytes (default 64)
  --window N          fan-in: max messages published but not yet received (default 2000)
  --rtt-window N      QoS 1: max round trips in flight (default 1)
  --budget S          soft time budget in seconds; no new repetition starts after it (default 110)
  --gateway-bin PATH  gateway entry point (default bin/uns-gateway.js)
  --no-mosquitto      skip the Mosquitto comparison`;

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
      budget: { type: 'string' },
      'gateway-bin': { type: 'string' },
      'no-mosquitto': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return null;
  return {
    runs: int(values.runs, 3, 'runs', 1),
    messages: int(values.messages, 200_000, 'messages', 1),
    publishers: int(values.publishers, 4, 'publishers', 1),
    rttMessages: int(values['rtt-messages'], 5_000, 'rtt-messages', 1),
    payloadBytes: int(values.payload, 64, 'payload', 0),
    window: int(values.window, 2_000, 'window', 1),
    rttWindow: int(values['rtt-window'], 1, 'rtt-window', 1),
    budgetSec: int(values.budget, 110, 'budget', 1),
    gatewayBin: path.resolve(values['gateway-bin'] ?? path.join(repoRoot, 'bin', 'uns-gateway.js')),
    mosquitto: values['no-mosquitto'] !== true,
  };
}

export { repoRoot };
