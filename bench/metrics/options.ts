/** The options of bench:metrics (bench/metrics/main.ts). */
import { parseArgs } from 'node:util';
import { intOption } from '../shared/int-option.ts';

export const LOADS = ['broker', 'modbus'] as const;
export type LoadName = (typeof LOADS)[number];

export const USAGE = `usage: node --import tsx bench/metrics/main.ts [options]
Runs the bench:broker and bench:modbus loads against a gateway with metrics off (no http: listener) and
one with metrics on (http: listener, /metrics scraped every --scrape-ms as Prometheus would), and prints
the gateway's CPU per message for each, with the ratio on/off (target: at most 1.03).
  --runs N             repetitions of each load and mode, median reported (default 3)
  --skip LIST          loads not to run, comma-separated: broker, modbus
  --scrape-ms N        scrape interval with metrics on (default 1000)
broker load (as bench:broker's gateway variant):
  --messages N         QoS 0 fan-in messages per phase, four phases a run (default 100000)
  --publishers N       fan-in publisher clients (default 4)
  --rtt-messages N     QoS 1 round trips per phase, one at a time, four phases a run (default 5000)
modbus load (as bench:modbus):
  --devices N          simulated Modbus TCP devices (default 10)
  --registers N        holding registers per device, one uint16 tag each (default 1000)
  --interval-ms N      poll interval (default 1000)
  --changes N          random register changes per device per second (default 20)
  --warmup S           seconds of warm-up before the window (default 10)
  --window S           seconds measured each way: four windows of S/2, unscraped, scraped, scraped,
                       unscraped (with metrics off none is scraped) (default 20)
  -h, --help           this help`;

export interface Options {
  runs: number;
  loads: LoadName[];
  scrapeMs: number;
  messages: number;
  publishers: number;
  rttMessages: number;
  devices: number;
  registers: number;
  intervalMs: number;
  changes: number;
  warmupMs: number;
  windowMs: number;
}

export function parseOptions(argv: string[]): Options | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: 'string' },
      skip: { type: 'string' },
      'scrape-ms': { type: 'string' },
      messages: { type: 'string' },
      publishers: { type: 'string' },
      'rtt-messages': { type: 'string' },
      devices: { type: 'string' },
      registers: { type: 'string' },
      'interval-ms': { type: 'string' },
      changes: { type: 'string' },
      warmup: { type: 'string' },
      window: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return null;
  const skip = (values.skip ?? '').split(',').filter((name) => name !== '');
  for (const name of skip) if (!LOADS.some((load) => load === name)) throw new Error(`--skip takes ${LOADS.join(', ')}; not "${name}"`);
  return {
    runs: intOption(values.runs, 3, 'runs', 1, 50),
    loads: LOADS.filter((load) => !skip.includes(load)),
    scrapeMs: intOption(values['scrape-ms'], 1000, 'scrape-ms', 100, 60_000),
    messages: intOption(values.messages, 100_000, 'messages', 1000, 10_000_000),
    publishers: intOption(values.publishers, 4, 'publishers', 1, 100),
    rttMessages: intOption(values['rtt-messages'], 5000, 'rtt-messages', 100, 1_000_000),
    devices: intOption(values.devices, 10, 'devices', 1, 200),
    registers: intOption(values.registers, 1000, 'registers', 2, 65535),
    intervalMs: intOption(values['interval-ms'], 1000, 'interval-ms', 10, 60_000),
    changes: intOption(values.changes, 20, 'changes', 0, 10_000),
    warmupMs: intOption(values.warmup, 10, 'warmup', 0, 600) * 1000,
    windowMs: intOption(values.window, 20, 'window', 1, 600) * 1000,
  };
}
