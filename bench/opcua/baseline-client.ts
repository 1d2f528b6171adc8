/** The benchmark's side of the bare-client child process (bench/opcua/baseline-process.ts). */
import { fileURLToPath } from 'node:url';
import { IpcRequests, forkTsx, post, stopIpcChild } from '../shared/ipc-child.ts';
import { isAlive, tailOutput } from '../shared/process.ts';
import type { BaselineCounts, BaselineSetup, BaselineToParent, ParentToBaseline } from './baseline-protocol.ts';

const BASELINE_ENTRY = fileURLToPath(new URL('./baseline-process.ts', import.meta.url));

export interface BaselineProcess {
  pid: number;
  /** Connect → every item had a value, ms. */
  startupMs: number;
  open(fromTick: number): void;
  windowEnd(toTick: number): void;
  close(): void;
  counts(): Promise<BaselineCounts>;
  alive(): boolean;
  logTail(): string;
  stop(timeoutMs: number): Promise<void>;
}

/** Forks the bare client (through tsx) and waits until every item has reported a value. */
export async function startBaseline(setup: BaselineSetup, cwd: string, startTimeoutMs: number): Promise<BaselineProcess> {
  const child = forkTsx(BASELINE_ENTRY, cwd, ['ignore', 'pipe', 'pipe', 'ipc']);
  const tail = tailOutput(child);

  const send = (message: ParentToBaseline): void => post(child, message);
  const countRequests = new IpcRequests<BaselineCounts>(child, 'bare-client process', () => tail.toString());
  const ready = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bare client not ready within ${startTimeoutMs} ms\n${tail.toString()}`)), startTimeoutMs);
    child.on('message', (raw: unknown) => {
      const message = raw as BaselineToParent;
      switch (message.type) {
        case 'ready':
          clearTimeout(timer);
          resolve(message.startupMs);
          return;
        case 'counts':
          countRequests.answer(message.requestId, message.counts);
          return;
        case 'error':
          clearTimeout(timer);
          reject(new Error(`bare-client process: ${message.message}`));
          return;
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`bare-client process exited during startup (code ${code}, signal ${signal})\n${tail.toString()}`));
    });
  });
  send({ type: 'setup', setup });
  const startupMs = await ready;
  if (child.pid === undefined) throw new Error('bare-client process has no pid');
  return {
    pid: child.pid,
    startupMs,
    open: (fromTick) => send({ type: 'open', fromTick }),
    windowEnd: (toTick) => send({ type: 'window-end', toTick }),
    close: () => send({ type: 'close' }),
    counts: () => countRequests.request((requestId) => ({ type: 'counts', requestId }) satisfies ParentToBaseline, 10_000),
    alive: () => isAlive(child),
    logTail: () => tail.toString(),
    stop: (timeoutMs) => stopIpcChild(child, { type: 'stop' } satisfies ParentToBaseline, timeoutMs),
  };
}
