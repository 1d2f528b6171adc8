/**
 * The gateway under test as a process (bench/shared/gateway-process.ts), with one bridge `hq` forwarding
 * bench/# to an upstream at 127.0.0.1:<upstreamPort> at QoS 1, no rate limit, window 256, its status
 * every 0.1 s. The config dir (and so the store) outlives a stop, so that the same backlog can be started
 * again; the caller removes it.
 */
import { statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BENCH_GATEWAY_YAML, launchGateway } from '../shared/gateway-process.ts';
import { readRssBytes } from '../shared/proc-cpu.ts';
import { isAlive, stopProcess, type StopResult } from '../shared/process.ts';
import { REPO_ROOT } from '../shared/repo-root.ts';
import { FORWARD_FILTER } from './messages.ts';
import { START_TIMEOUT_MS, STOP_GRACE_MS } from './options.ts';

export const STATUS_TOPIC = '_gateway/bench/bridges/hq/status';

function bridgeGatewayYaml(upstreamPort: number): string {
  return [
    ...BENCH_GATEWAY_YAML,
    'store:',
    '  dataDir: ./data',
    '  durability: full',
    '  maxSizeMB: 1024',
    'bridges:',
    '  - name: hq',
    `    url: mqtt://127.0.0.1:${upstreamPort}`,
    `    forward: ['${FORWARD_FILTER}']`,
    '    qos: 1',
    '    send: { maxRate: 0, inflight: 256 }',
    '    outbox: { maxMessages: 2000000, maxSizeMB: 400 }',
    '    reconnect: { minS: 0.2, maxS: 1 }',
    '    statusIntervalS: 0.1',
    'mappings: []',
    '',
  ].join('\n');
}

export interface BridgeGateway {
  pid: number;
  port: number;
  /** Spawn to "listener ready". */
  startMs: number;
  /** The "bridge outbox holds messages from before this start" count, when logged. */
  backlogAtStart: number | undefined;
  alive(): boolean;
  rssBytes(): number;
  logTail(): string;
  /** SIGINT, SIGKILL after the grace. */
  stop(): Promise<StopResult>;
}

export interface GatewayFlags {
  /** The npm script whose node flags the gateway runs with (default start). */
  script?: 'start' | 'start:lowmem';
  /** Run under `node --cpu-prof`, the profile written here at its exit. */
  cpuProfDir?: string;
}

/** Writes `<dir>/gateway.yaml` and starts the gateway on it. */
export async function startBridgeGateway(dir: string, upstreamPort: number, flags: GatewayFlags = {}): Promise<BridgeGateway> {
  const configFile = path.join(dir, 'gateway.yaml');
  writeFileSync(configFile, bridgeGatewayYaml(upstreamPort));
  let backlogAtStart: number | undefined;
  const gw = await launchGateway({
    repoRoot: REPO_ROOT,
    configFile,
    startTimeoutMs: START_TIMEOUT_MS,
    cpuProfDir: flags.cpuProfDir,
    script: flags.script,
    onLog: (record) => {
      if (typeof record.backlog === 'number' && String(record.msg).startsWith('bridge outbox holds')) backlogAtStart = record.backlog;
    },
  });
  return {
    pid: gw.pid,
    port: gw.port,
    startMs: gw.startMs,
    backlogAtStart,
    alive: () => isAlive(gw.child),
    rssBytes: () => readRssBytes(gw.pid),
    logTail: () => gw.tail.toString(),
    stop: () => stopProcess(gw.child, 'SIGINT', STOP_GRACE_MS),
  };
}

/** Bytes of the store's database file and its WAL. */
export function storeBytes(dir: string): { db: number; wal: number } {
  const size = (file: string): number => {
    try {
      return statSync(file).size;
    } catch {
      return 0;
    }
  };
  const db = path.join(dir, 'data', 'gateway.db');
  return { db: size(db), wal: size(`${db}-wal`) };
}
