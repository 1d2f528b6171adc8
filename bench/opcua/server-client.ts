/** The benchmark's side of the OPC UA server child process (bench/opcua/server-process.ts). */
import { fileURLToPath } from 'node:url';
import { IpcRequests, forkTsx, post, stopIpcChild } from '../shared/ipc-child.ts';
import { isAlive, tailOutput } from '../shared/process.ts';
import type { LoadPattern, ParentToServer, ServerCounts, ServerSetup, ServerToParent } from './protocol.ts';

const SERVER_ENTRY = fileURLToPath(new URL('./server-process.ts', import.meta.url));

export interface OpcuaServerProcess {
  pid: number;
  endpoint: string;
  port: number;
  /** Address space built and listening, ms after the process got its setup. */
  startupMs: number;
  setLoad(pattern: LoadPattern | null): void;
  /** Only the sessions of this client application get notifications (the others' items are disabled). */
  reportTo(application: string): void;
  counts(): Promise<ServerCounts>;
  alive(): boolean;
  /** Last lines the server wrote (node-opcua logs), for error messages. */
  logTail(): string;
  stop(timeoutMs: number): Promise<void>;
}

/** Forks the server process (through tsx) and waits until it listens. */
export async function startOpcuaServer(setup: ServerSetup, cwd: string, startTimeoutMs: number): Promise<OpcuaServerProcess> {
  const child = forkTsx(SERVER_ENTRY, cwd, ['ignore', 'pipe', 'pipe', 'ipc']);
  const tail = tailOutput(child);

  const send = (message: ParentToServer): void => post(child, message);
  const countRequests = new IpcRequests<ServerCounts>(child, 'OPC UA server process', () => tail.toString());

  const ready = new Promise<{ endpoint: string; port: number; startupMs: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`OPC UA server not ready within ${startTimeoutMs} ms\n${tail.toString()}`)), startTimeoutMs);
    child.on('message', (raw: unknown) => {
      const message = raw as ServerToParent;
      switch (message.type) {
        case 'ready':
          clearTimeout(timer);
          resolve({ endpoint: message.endpoint, port: message.port, startupMs: message.startupMs });
          return;
        case 'counts': {
          countRequests.answer(message.requestId, message.counts);
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
      reject(new Error(`OPC UA server process exited during startup (code ${code}, signal ${signal})\n${tail.toString()}`));
    });
  });
  send({ type: 'setup', setup });
  const { endpoint, port, startupMs } = await ready;
  if (child.pid === undefined) throw new Error('OPC UA server process has no pid');

  return {
    pid: child.pid,
    endpoint,
    port,
    startupMs,
    setLoad: (pattern) => send({ type: 'load', pattern }),
    reportTo: (application) => send({ type: 'reporting', application }),
    counts: () => countRequests.request((requestId) => ({ type: 'counts', requestId }) satisfies ParentToServer, 10_000),
    alive: () => isAlive(child),
    logTail: () => tail.toString(),
    stop: (timeoutMs) => stopIpcChild(child, { type: 'stop' } satisfies ParentToServer, timeoutMs),
  };
}
