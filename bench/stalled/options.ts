import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT as repoRoot } from '../shared/repo-root.ts';

export interface StalledBenchOptions {
  phaseSec: number;
  warmupSec: number;
  /** Longest wait for the stalled subscriber's connection to fill before measuring anyway. */
  settleSec: number;
  pairs: number;
  window: number;
  payloadBytes: number;
  /** Also measure a stalled subscriber with a persistent session (clean=false). */
  persistent: boolean;
  gatewayBin: string;
  mosquitto: boolean;
}

export const STALLED_USAGE = `usage: node --import tsx bench/stalled/main.ts [options]
  --phase-sec S       length of each measured phase in seconds (default 10)
  --warmup-sec S      load before each measured phase starts, in seconds (default 3)
  --settle-sec S      longest wait for the stalled subscriber's connection to fill up before
                      measuring anyway, in seconds (default 20)
  --pairs N           QoS 1 publisher/subscriber client pairs (default 4)
  --window N          QoS 1 round trips in flight per pair (default 16)
  --payload N         payload bytes (default 64)
  --persistent        also measure a stalled subscriber with a persistent session (clean=false)
  --gateway-bin PATH  gateway entry point (default bin/uns-gateway.js)
  --no-mosquitto      skip the Mosquitto side`;

function int(v: string | undefined, def: number, name: string, min: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}`);
  return n;
}

/** Parse argv; returns null when --help was asked for. */
export function parseStalledOptions(argv: string[]): StalledBenchOptions | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      'phase-sec': { type: 'string' },
      'warmup-sec': { type: 'string' },
      'settle-sec': { type: 'string' },
      pairs: { type: 'string' },
      window: { type: 'string' },
      payload: { type: 'string' },
      persistent: { type: 'boolean' },
      'gateway-bin': { type: 'string' },
      'no-mosquitto': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return null;
  return {
    phaseSec: int(values['phase-sec'], 10, 'phase-sec', 1),
    warmupSec: int(values['warmup-sec'], 3, 'warmup-sec', 0),
    settleSec: int(values['settle-sec'], 20, 'settle-sec', 1),
    pairs: int(values.pairs, 4, 'pairs', 1),
    window: int(values.window, 16, 'window', 1),
    payloadBytes: int(values.payload, 64, 'payload', 4),
    persistent: values.persistent === true,
    gatewayBin: path.resolve(values['gateway-bin'] ?? path.join(repoRoot, 'bin', 'uns-gateway.js')),
    mosquitto: values['no-mosquitto'] !== true,
  };
}
