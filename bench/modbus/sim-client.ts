/** The benchmark's side of the simulator child process (bench/modbus/sim-process.ts). */
import { fileURLToPath } from 'node:url';
import { IpcRequests, forkTsx, post, stopIpcChild } from '../shared/ipc-child.ts';
import { isAlive } from '../shared/process.ts';
import type { ChangeRecord, DeviceCounts, ParentToSim, SimSetup, SimToParent } from './protocol.ts';

const SIM_ENTRY = fileURLToPath(new URL('./sim-process.ts', import.meta.url));

export interface CountsSnapshot {
  at: number;
  devices: DeviceCounts[];
}

export interface Simulators {
  pid: number;
  ports: number[];
  /** Every change made so far, in order. */
  changes: ChangeRecord[];
  setChanges(enabled: boolean): void;
  counts(): Promise<CountsSnapshot>;
  alive(): boolean;
  stop(timeoutMs: number): Promise<void>;
}

/** Forks the simulator process (through tsx) and waits until every device is listening. */
export async function startSimulators(setup: SimSetup, cwd: string, startTimeoutMs: number): Promise<Simulators> {
  const child = forkTsx(SIM_ENTRY, cwd, ['ignore', 'inherit', 'inherit', 'ipc']);
  const changes: ChangeRecord[] = [];
  let failure: string | undefined;

  const send = (message: ParentToSim): void => post(child, message);
  const countRequests = new IpcRequests<CountsSnapshot>(child, 'simulator process');

  const ready = new Promise<number[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`simulators not ready within ${startTimeoutMs} ms`)), startTimeoutMs);
    child.on('message', (raw: unknown) => {
      const message = raw as SimToParent;
      switch (message.type) {
        case 'ready':
          clearTimeout(timer);
          resolve(message.ports);
          return;
        case 'changes':
          for (const change of message.changes) changes.push(change);
          return;
        case 'counts': {
          countRequests.answer(message.requestId, { at: message.at, devices: message.devices });
          return;
        }
        case 'error':
          failure = message.message;
          clearTimeout(timer);
          reject(new Error(`simulator process: ${message.message}`));
          return;
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`simulator process exited during startup (code ${code}, signal ${signal})${failure ? `: ${failure}` : ''}`));
    });
  });
  send({ type: 'setup', setup });
  const ports = await ready;
  if (child.pid === undefined) throw new Error('simulator process has no pid');

  return {
    pid: child.pid,
    ports,
    changes,
    setChanges: (enabled) => send({ type: 'changes', enabled }),
    counts: () => countRequests.request((requestId) => ({ type: 'counts', requestId }) satisfies ParentToSim, 5000),
    alive: () => isAlive(child),
    stop: (timeoutMs) => stopIpcChild(child, { type: 'stop' } satisfies ParentToSim, timeoutMs),
  };
}
