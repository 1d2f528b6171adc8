import { cleanupNow } from './cleanup.ts';

/**
 * Runs a bench's `main` under a watchdog: whatever happens (success, an error, the time limit), the
 * processes and folders it registered for cleanup go, and a failure exits 1 with its stack.
 */
export function runMain(name: string, main: () => Promise<void>, timeoutMs: number): void {
  const watchdog = setTimeout(() => {
    process.stderr.write(`${name}: gave up after ${timeoutMs / 1000} s\n`);
    cleanupNow();
    process.exit(1);
  }, timeoutMs);
  watchdog.unref();
  main().then(
    () => {
      clearTimeout(watchdog);
      cleanupNow();
    },
    (err: unknown) => {
      process.stderr.write(`${name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      cleanupNow();
      process.exit(1);
    },
  );
}
