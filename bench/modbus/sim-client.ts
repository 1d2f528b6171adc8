/** The benchmark's side of the simulator child process (bench/modbus/sim-process.ts). */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { trackChild } from '../shared/cleanup.ts';
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
  const child = trackChild(
    fork(SIM_ENTRY, [], { cwd, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
  const changes: ChangeRecord[] = [];
  const pendingCounts = new Map<number, (snapshot: CountsSnapshot) => void>();
  let nextRequest = 1;
  let failure: string | undefined;

  const post = (message: ParentToSim): void => {
    if (child.connected) child.send(message);
  };

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
          const done = pendingCounts.get(message.requestId);
          pendingCounts.delete(message.requestId);
          done?.({ at: message.at, devices: message.devices });
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
  post({ type: 'setup', setup });
  const ports = await ready;
  if (child.pid === undefined) throw new Error('simulator process has no pid');

  return {
    pid: child.pid,
    ports,
    changes,
    setChanges: (enabled) => post({ type: 'changes', enabled }),
    counts: () =>
      new Promise<CountsSnapshot>((resolve, reject) => {
        if (!isAlive(child)) {
          reject(new Error('simulator process is gone'));
          return;
        }
        const requestId = nextRequest++;
        const timer = setTimeout(() => {
          pendingCounts.delete(requestId);
          reject(new Error('simulator process did not answer a counts request'));
        }, 5000);
        pendingCounts.set(requestId, (snapshot) => {
          clearTimeout(timer);
          resolve(snapshot);
        });
        post({ type: 'counts', requestId });
      }),
    alive: () => isAlive(child),
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
