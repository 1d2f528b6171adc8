/**
 * The two edges under test, each restartable on the same port with the same data folder: (a) Mosquitto with
 * a bridge `connection` section, (b) the gateway as a real `uns-gateway run` process with a bridge.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ErrorCodes } from '../../shared/errors.ts';
import { launchGateway, type LaunchedGateway } from '../shared/gateway-process.ts';
import { stopProcess, type StopResult } from '../shared/process.ts';
import { REPO_ROOT } from '../shared/repo-root.ts';
import { mosquittoNode } from './mosquitto-node.ts';
import { BENCH_HTTP_YAML } from '../shared/gateway-process.ts';

export interface Edge {
  readonly label: string;
  readonly port: number;
  start(): Promise<void>;
  /** SIGKILL: a crash; SIGTERM: a clean stop (waited for, up to 15 s). */
  stop(signal: NodeJS.Signals): Promise<void>;
  /** What the restart showed: a stop that needed SIGKILL, the gateway's warnings and backlog figures. */
  notes(): string[];
  logTail(): string;
}

/** Every setting not written here is Mosquitto's default (max_queued_messages 1000, restart_timeout 5 30, …). */
export function mosquittoEdge(bin: string, dir: string, port: number, upstreamPort: number): Edge {
  const node = mosquittoNode(bin, 'edge', dir, port, [
    'autosave_interval 1',
    'connection hq',
    `address 127.0.0.1:${upstreamPort}`,
    'topic outage/# out 1',
    'cleansession false',
  ]);
  const notes: string[] = [];
  return {
    label: 'mosquitto -> mosquitto',
    port,
    start: () => node.start(),
    stop: async (signal) => noteStop(notes, signal, await node.stop(signal)),
    notes: () => notes,
    logTail: () => node.logTail(),
  };
}

export function gatewayEdge(dir: string, port: number, upstreamPort: number): Edge {
  const configFile = path.join(dir, 'gateway.yaml');
  writeFileSync(
    configFile,
    [
      'id: edge',
      'log:',
      '  level: info',
      'broker:',
      '  listeners:',
      '    - protocol: tcp',
      '      host: 127.0.0.1',
      `      port: ${port}`,
      'store:',
      '  dataDir: ./data',
      BENCH_HTTP_YAML,
      'bridges:',
      '  - name: hq',
      `    url: mqtt://127.0.0.1:${upstreamPort}`,
      "    forward: ['outage/#']",
      '    qos: 1',
      '    reconnect: { minS: 0.2, maxS: 1 }',
      '    statusIntervalS: 1',
      '',
    ].join('\n'),
  );
  let running: LaunchedGateway | undefined;
  const notes: string[] = [];
  return {
    label: 'gateway -> mosquitto',
    port,
    async start() {
      running = await launchGateway({
        repoRoot: REPO_ROOT,
        configFile,
        startTimeoutMs: 30_000,
        onLog: (record) => {
          const level = typeof record.level === 'number' ? record.level : 0;
          if (record.msg === 'bridge cannot connect' || record.code === ErrorCodes.ANONYMOUS_EXPOSED) return;
          if (level >= 40 || record.backlog !== undefined) {
            const { msg, level: _level, time: _time, pid: _pid, hostname: _host, ...rest } = record;
            notes.push(`${String(msg)} ${JSON.stringify(rest)}`);
          }
        },
      });
    },
    async stop(signal) {
      const result = running === undefined ? null : await stopProcess(running.child, signal, 15_000);
      running = undefined;
      noteStop(notes, signal, result);
    },
    notes: () => notes,
    logTail: () => running?.tail.toString() ?? '',
  };
}

function noteStop(notes: string[], signal: NodeJS.Signals, result: StopResult | null): void {
  if (result === null || signal === 'SIGKILL') return;
  notes.push(`${signal}: ${result.forced ? 'still running after the grace period, killed' : 'exited'} after ${Math.round(result.stopMs)} ms (code ${result.code}, signal ${result.signal})`);
}
