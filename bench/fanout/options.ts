import path from 'node:path';
import { parseArgs } from 'node:util';
import { intOption } from '../shared/int-option.ts';
import { REPO_ROOT } from '../shared/repo-root.ts';

export interface FanoutOptions {
  runs: number;
  /** Deliveries per measured cell: messages published = deliveries / subscribers. */
  deliveries: number;
  widths: number[];
  qos: (0 | 1)[];
  idle: number;
  payloadBytes: number;
  window: number;
  topics: number;
  budgetSec: number;
  gatewayBin: string;
  mosquitto: boolean;
}

export const USAGE = `usage: node --import tsx bench/fanout/main.ts [options]
  --runs N           repetitions of every cell, median reported (default 3)
  --deliveries N     deliveries per cell and run; messages = N / subscribers (default 100000)
  --widths LIST      subscriber counts on # (default 1,10,50)
  --qos LIST         0, 1 or both (default 0,1)
  --idle N           idle connected clients on each broker during the run (default 1000)
  --payload N        payload bytes (default 64)
  --window N         most messages ahead of the slowest subscriber (default 500; Mosquitto queues 1,000 per client)
  --topics N         topics the publisher cycles through (default 1000)
  --budget S         soft budget in seconds: no new repetition starts after it (default 180)
  --gateway-bin PATH gateway entry point (default bin/uns-gateway.js)
  --no-mosquitto     gateway only`;

function list(value: string | undefined, fallback: number[], name: string, min: number, max: number): number[] {
  if (value === undefined) return fallback;
  return value.split(',').map((v) => intOption(v, 0, name, min, max));
}

/** Parse argv; null when --help was asked for. */
export function parseOptions(argv: string[]): FanoutOptions | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: 'string' },
      deliveries: { type: 'string' },
      widths: { type: 'string' },
      qos: { type: 'string' },
      idle: { type: 'string' },
      payload: { type: 'string' },
      window: { type: 'string' },
      topics: { type: 'string' },
      budget: { type: 'string' },
      'gateway-bin': { type: 'string' },
      'no-mosquitto': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return null;
  return {
    runs: intOption(values.runs, 3, 'runs', 1, 100),
    deliveries: intOption(values.deliveries, 100_000, 'deliveries', 1000, 100_000_000),
    widths: list(values.widths, [1, 10, 50], 'widths', 1, 1000),
    qos: list(values.qos, [0, 1], 'qos', 0, 1) as (0 | 1)[],
    idle: intOption(values.idle, 1000, 'idle', 0, 10_000),
    payloadBytes: intOption(values.payload, 64, 'payload', 0, 1_000_000),
    window: intOption(values.window, 500, 'window', 1, 100_000),
    topics: intOption(values.topics, 1000, 'topics', 1, 1_000_000),
    budgetSec: intOption(values.budget, 180, 'budget', 1, 100_000),
    gatewayBin: path.resolve(values['gateway-bin'] ?? path.join(REPO_ROOT, 'bin', 'uns-gateway.js')),
    mosquitto: values['no-mosquitto'] !== true,
  };
}
