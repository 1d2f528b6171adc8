/**
 * The stdout protocol of the benches' load-generator children: one JSON object a line, `{"event":"ready"}`,
 * `{"event":"error","message":…}` or `{"event":"result","result":{…}}`. Each bench checks its own result shape.
 */
export type ChildEvent<R> = { event: 'ready' } | { event: 'error'; message: string } | { event: 'result'; result: R };

export type ChildLine = ChildEvent<Record<string, unknown>>;

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function hasNumbers(v: Record<string, unknown>, keys: readonly string[]): boolean {
  return keys.every((k) => typeof v[k] === 'number');
}

/** A line holding one JSON object (a child's message, a gateway's pino log line); null for anything else. */
export function parseJsonRecord(line: string): Record<string, unknown> | null {
  if (!line.startsWith('{')) return null;
  try {
    const v: unknown = JSON.parse(line);
    return isRecord(v) ? v : null;
  } catch {
    return null;
  }
}

/** One stdout line of a child; null for anything else. */
export function parseChildLine(line: string): ChildLine | null {
  const v = parseJsonRecord(line);
  if (v === null) return null;
  if (v.event === 'ready') return { event: 'ready' };
  if (v.event === 'error') return { event: 'error', message: String(v.message) };
  if (v.event !== 'result' || !isRecord(v.result)) return null;
  return { event: 'result', result: v.result };
}
