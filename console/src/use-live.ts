import { useEffect, useReducer } from 'preact/hooks';
import type { LiveNamespace } from './live.js';

/** Re-renders the component once per animation frame in which the live namespace changed. */
export function useLive(live: LiveNamespace): void {
  const [, bump] = useReducer((n: number, _change: undefined) => n + 1, 0);
  useEffect(() => live.subscribe(() => bump(undefined)), [live]);
}

/** The current time, ticking every second: for the ages on screen. */
export function useNow(): number {
  const [now, set] = useReducer((_: number, next: number) => next, Date.now());
  useEffect(() => {
    const timer = setInterval(() => set(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}
