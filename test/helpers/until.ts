import { setTimeout as sleep } from 'node:timers/promises';

const POLL_MS = 10;

/** Polls `condition` until it holds (true) or `withinMs` passes (false): for a test that asserts on the outcome itself. */
export async function eventually(condition: () => boolean, withinMs = 5000): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await sleep(POLL_MS);
  }
  return true;
}

/** Waits until `condition` holds; rejects when `withinMs` passes first. */
export async function until(condition: () => boolean, withinMs = 5000): Promise<void> {
  if (!(await eventually(condition, withinMs))) throw new Error(`condition not met within ${withinMs} ms`);
}
