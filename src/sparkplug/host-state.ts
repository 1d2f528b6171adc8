/**
 * What a primary host application says on `spBv1.0/STATE/<host id>`: Sparkplug 3.0's JSON
 * `{"online": true, "timestamp": …}`, or the older `ONLINE` / `OFFLINE`. Undefined when it is neither.
 */
export function hostIsOnline(payload: Buffer): boolean | undefined {
  const text = payload.toString('utf8').trim();
  if (text === 'ONLINE') return true;
  if (text === 'OFFLINE') return false;
  try {
    const state = JSON.parse(text) as { online?: unknown };
    return typeof state.online === 'boolean' ? state.online : undefined;
  } catch {
    return undefined;
  }
}
