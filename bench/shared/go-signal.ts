import { createInterface } from 'node:readline';

/** Resolves when the orchestrator writes "go" on stdin; rejects if stdin closes first. */
export function waitForGo(): Promise<void> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: process.stdin });
    let ok = false;
    rl.on('line', (line) => {
      if (line.trim() === 'go') {
        ok = true;
        rl.close();
        resolve();
      }
    });
    rl.on('close', () => {
      if (!ok) reject(new Error('stdin closed before "go"'));
    });
  });
}
