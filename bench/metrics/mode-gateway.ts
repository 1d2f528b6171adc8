/** The gateway under test as a process, with metrics off (no http: listener) or on. */
import { readFileSync, writeFileSync } from 'node:fs';
import type { BrokerHandle } from '../shared/broker-process.ts';
import { BENCH_HTTP_YAML, launchGateway } from '../shared/gateway-process.ts';
import { isAlive, stopProcess } from '../shared/process.ts';
import { REPO_ROOT } from '../shared/repo-root.ts';
import { sleep } from '../shared/wait.ts';

export type Mode = 'off' | 'on';

const START_TIMEOUT_MS = 60_000;

export interface ModeGateway extends BrokerHandle {
  mode: Mode;
  /** The HTTP listener's port, with metrics on. */
  httpPort: number | undefined;
}

/** Rewrites a bench gateway.yaml (which has BENCH_HTTP_YAML, metrics on) for `mode`. */
function writeMode(configFile: string, mode: Mode): void {
  const yaml = readFileSync(configFile, 'utf8');
  if (!yaml.includes(BENCH_HTTP_YAML)) throw new Error(`${configFile} has no "${BENCH_HTTP_YAML}" line`);
  writeFileSync(configFile, mode === 'on' ? yaml : yaml.replace(BENCH_HTTP_YAML, 'http: { enabled: false }'));
}

/** Starts `bin/uns-gateway.js run` on `configFile` in `mode`; with metrics on, waits for its "http listener ready" line. */
export async function startModeGateway(configFile: string, mode: Mode): Promise<ModeGateway> {
  writeMode(configFile, mode);
  let httpPort: number | undefined;
  const gw = await launchGateway({
    repoRoot: REPO_ROOT,
    configFile,
    startTimeoutMs: START_TIMEOUT_MS,
    onLog: (record) => {
      if (record.msg === 'http listener ready' && typeof record.port === 'number') httpPort = record.port;
    },
  });
  const deadline = Date.now() + 5000;
  while (mode === 'on' && httpPort === undefined && Date.now() < deadline) await sleep(20);
  if (mode === 'on' && httpPort === undefined) {
    await stopProcess(gw.child, 'SIGTERM', 5000);
    throw new Error(`no "http listener ready" line\n${gw.tail.toString()}`);
  }
  return {
    mode,
    name: `gateway (metrics ${mode})`,
    pid: gw.pid,
    port: gw.port,
    httpPort,
    alive: () => isAlive(gw.child),
    logTail: () => gw.tail.toString(),
    stop: () => stopProcess(gw.child, 'SIGTERM', 5000),
  };
}
