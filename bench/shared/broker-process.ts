import type { ChildProcess } from 'node:child_process';
import { removeTempDir } from './cleanup.ts';
import type { Credentials } from './mqtt-clients.ts';
import { stopProcess, type StopResult } from './process.ts';

/** A running broker under test (the gateway or Mosquitto). */
export interface BrokerHandle {
  name: string;
  pid: number;
  port: number;
  /** What clients log in with; undefined: anonymous. */
  credentials?: Credentials | undefined;
  alive(): boolean;
  /** Last lines the broker wrote (stdout+stderr), for error messages. */
  logTail(): string;
  /** SIGTERM, then SIGKILL after a grace period; removes its temp dir. */
  stop(): Promise<StopResult>;
}

/** Stop a broker politely, escalating to SIGKILL after `graceMs`; then delete `tempDir`. */
export async function stopBroker(child: ChildProcess, graceMs: number, tempDir: string): Promise<StopResult> {
  try {
    return await stopProcess(child, 'SIGTERM', graceMs);
  } finally {
    removeTempDir(tempDir);
  }
}
