export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** Polls `condition` every 100 ms; throws `exited()` as soon as `alive()` is false, or on timeout. */
export async function waitFor(condition: () => boolean, timeoutMs: number, alive: () => boolean, what: () => string, exited: () => Error): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (!alive()) throw exited();
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`);
    await sleep(100);
  }
}
