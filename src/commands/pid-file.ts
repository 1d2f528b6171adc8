import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The running gateway's process id, in its data directory: how `uns-gateway reload` finds it. */
export function pidFilePath(dataDir: string): string {
  return join(dataDir, 'uns-gateway.pid');
}

export function writePidFile(dataDir: string): () => void {
  const path = pidFilePath(dataDir);
  writeFileSync(path, `${process.pid}\n`);
  return () => {
    if (readPidFile(dataDir) === process.pid) rmSync(path, { force: true });
  };
}

/** The process id written there, or undefined when there is none. */
export function readPidFile(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidFilePath(dataDir), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
