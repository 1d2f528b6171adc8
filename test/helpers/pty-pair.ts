import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface PtyPair {
  a: string;
  b: string;
  close(): Promise<void>;
}

/** Why this machine cannot make a pty pair (socat is not installed), or undefined when it can. */
export function socatMissing(): string | undefined {
  const probe = spawnSync('socat', ['-V'], { stdio: 'ignore' });
  return probe.error ? `socat is not installed (apt-get install socat): ${probe.error.message}` : undefined;
}

/** Two linked pseudo-terminals from socat: a serial line inside this machine, for real RTU framing. */
export async function ptyPair(dir: string): Promise<PtyPair> {
  const a = join(dir, 'tty-a');
  const b = join(dir, 'tty-b');
  const child: ChildProcess = spawn('socat', [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
  const failed = new Promise<never>((_, reject) => child.once('error', (error) => reject(new Error(`socat is needed for the RTU test (apt-get install socat): ${error.message}`))));
  const deadline = Date.now() + 5000;
  while (!(existsSync(a) && existsSync(b))) {
    if (Date.now() > deadline) throw new Error('socat did not create the pty pair');
    await Promise.race([new Promise((resolve) => setTimeout(resolve, 20)), failed]);
  }
  return {
    a,
    b,
    close: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
