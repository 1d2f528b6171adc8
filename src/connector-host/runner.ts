import { fork } from 'node:child_process';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { Placement } from '../../connectors/protocol.ts';
import type { HostToWorker, WorkerSetup, WorkerToHost } from '../../connectors/sdk.ts';
import { flagsButSemiSpace, heapLimitFlags } from './heap-limits.ts';

/**
 * Connectors always run built JavaScript, without a loader in every thread: from dist/ this file's
 * neighbour, and from the TypeScript sources (tests) the dist/ that `npm run build` made.
 */
const WORKER_URL = import.meta.url.endsWith('.ts')
  ? new URL('../../dist/connectors/worker.js', import.meta.url)
  : new URL('../../connectors/worker.js', import.meta.url);

/** A running connector: a worker thread, or a child process for what cannot run in one (a serial line). */
export interface ConnectorRunner {
  post(message: HostToWorker): void;
  onMessage(handler: (message: WorkerToHost) => void): void;
  onExit(handler: (code: number) => void): void;
  /** An uncaught error in the connector; its exit follows. Without a listener it would crash the gateway. */
  onError(handler: (error: Error) => void): void;
  kill(): void;
}

/** Starts a connector in a worker thread, or in a child process when its descriptor places it in one. */
export function spawnConnector(setup: WorkerSetup, isolation: Placement['isolation'], resourceLimits: ResourceLimits): ConnectorRunner {
  if (isolation === 'thread') {
    const worker = new Worker(WORKER_URL, { workerData: setup, resourceLimits });
    return {
      post: (message) => worker.postMessage(message),
      onMessage: (handler) => worker.on('message', handler),
      onExit: (handler) => worker.on('exit', handler),
      onError: (handler) => worker.on('error', handler),
      kill: () => void worker.terminate(),
    };
  }
  // 'advanced' serialization is the structured clone: bigint values survive, as over a MessagePort.
  // The same heap limits as flags, before the gateway's own node flags, which therefore still win, but
  // for the semi-space size: the limits already take the smaller of the protocol's and the gateway's.
  const child = fork(WORKER_URL, [], {
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [...heapLimitFlags(resourceLimits), ...flagsButSemiSpace(process.execArgv)],
  });
  child.send({ type: 'setup', setup });
  return {
    post: (message) => {
      if (child.connected) child.send(message);
    },
    onMessage: (handler) => child.on('message', (message) => handler(message as WorkerToHost)),
    onExit: (handler) => child.on('exit', (code, signal) => handler(code ?? (signal ? 128 : 0))),
    onError: (handler) => child.on('error', handler),
    kill: () => void child.kill('SIGKILL'),
  };
}
