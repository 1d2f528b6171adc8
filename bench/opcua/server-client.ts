/** The benchmark's side of the OPC UA server child process (bench/opcua/server-process.ts). */
import { fork } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { trackChild } from '../shared/cleanup.ts';
import { isAlive } from '../shared/process.ts';
import type { LoadPattern, ParentToServer, ServerCounts, ServerSetup, ServerToParent } from './protocol.ts';

const SERVER_ENTRY = fileURLToPath(new URL('./server-process.ts', import.meta.url));

export interface OpcuaServerProcess {
  pid: number;
  endpoint: string;
  port: number;
  /** Address space built and listening, ms after the process got its setup. */
  startupMs: number;
  setLoad(pattern: LoadPattern | null): void;
  counts(): Promise<ServerCounts>;
  alive(): boolean;
  /** Last lines the server wrote (node-opcua logs), for error messages. */
  logTail(): string;
  stop(timeoutMs: number): Promise<void>;
}

/** Forks the server process (through tsx) and waits until it listens. */
export async function startOpcuaServer(setup: ServerSetup, cwd: string, startTimeoutMs: number): Promise<OpcuaServerProcess> {
  const child = trackChild(
    fork(SERVER_ENTRY, [], { cwd, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] }),
  );
  const tail: string[] = [];
  const keep = (line: string): void => {
    tail.push(line);
    if (tail.length > 40) tail.shift();
  };
  if (child.stdout) createInterface({ input: child.stdout }).on('line', keep);
  if (child.stderr) createInterface({ input: child.stderr }).on('line', (line) => keep(`[stderr] ${line}`));
  child.on('error', (error) => keep(`[spawn error] ${error.message}`));

  const pendingCounts = new Map<number, (counts: ServerCounts) => void>();
  let nextRequest = 1;
  const post = (message: ParentToServer): void => {
    if (child.connected) child.send(message);
  };

  const ready = new Promise<{ endpoint: string; port: number; startupMs: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`OPC UA server not ready within ${startTimeoutMs} ms\n${tail.join('\n')}`)), startTimeoutMs);
    child.on('message', (raw: unknown) => {
      const message = raw as ServerToParent;
      switch (message.type) {
        case 'ready':
          clearTimeout(timer);
          resolve({ endpoint: message.endpoint, port: message.port, startupMs: message.startupMs });
          return;
        case 'counts': {
          const done = pendingCounts.get(message.requestId);
          pendingCounts.delete(message.requestId);
          done?.(message.counts);
          return;
        }
        case 'error':
          clearTimeout(timer);
          reject(new Error(`OPC UA server process: ${message.message}`));
          return;
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`OPC UA server process exited during startup (code ${code}, signal ${signal})\n${tail.join('\n')}`));
    });
  });
  post({ type: 'setup', setup });
  const { endpoint, port, startupMs } = await ready;
  if (child.pid === undefined) throw new Error('OPC UA server process has no pid');

  return {
    pid: child.pid,
    endpoint,
    port,
    startupMs,
    setLoad: (pattern) => post({ type: 'load', pattern }),
    counts: () =>
      new Promise<ServerCounts>((resolve, reject) => {
        if (!isAlive(child)) {
          reject(new Error(`OPC UA server process is gone\n${tail.join('\n')}`));
          return;
        }
        const requestId = nextRequest++;
        const timer = setTimeout(() => {
          pendingCounts.delete(requestId);
          reject(new Error('OPC UA server process did not answer a counts request within 10 s'));
        }, 10_000);
        pendingCounts.set(requestId, (counts) => {
          clearTimeout(timer);
          resolve(counts);
        });
        post({ type: 'counts', requestId });
      }),
    alive: () => isAlive(child),
    logTail: () => tail.join('\n'),
    stop: async (timeoutMs) => {
      if (!isAlive(child)) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      post({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
