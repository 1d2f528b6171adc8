import type { ConsoleInfo, Session } from '../../shared/console-api.js';

export type { CatalogDevice, CatalogTag, ConsoleInfo, Session } from '../../shared/console-api.js';

export interface Credentials {
  username: string;
  password: string;
}

export class LoginRefused extends Error {}

export async function fetchInfo(): Promise<ConsoleInfo> {
  const response = await fetch('/api/console');
  if (!response.ok) throw new Error(`GET /api/console: HTTP ${response.status}`);
  return (await response.json()) as ConsoleInfo;
}

/** The user's session: the catalogue and the write rights; rejects with LoginRefused on bad credentials. */
export async function openSession(credentials: Credentials | undefined): Promise<Session> {
  const headers: Record<string, string> = credentials === undefined ? {} : { authorization: `Basic ${btoa(`${credentials.username}:${credentials.password}`)}` };
  const response = await fetch('/api/session', { method: 'POST', headers });
  if (response.status === 401) throw new LoginRefused(((await response.json()) as { message?: string }).message ?? 'login refused');
  if (!response.ok) throw new Error(`POST /api/session: HTTP ${response.status}`);
  return (await response.json()) as Session;
}

/** Device read counts from /metrics (`uns_device_reads_total{device="…"}`), summed per device. */
export async function fetchReadCounts(): Promise<Map<string, number>> {
  const response = await fetch('/metrics');
  const counts = new Map<string, number>();
  if (!response.ok) return counts;
  for (const line of (await response.text()).split('\n')) {
    const match = /^uns_device_reads_total\{[^}]*device="([^"]+)"[^}]*\} ([0-9.e+]+)$/.exec(line);
    if (match?.[1] !== undefined) counts.set(match[1], (counts.get(match[1]) ?? 0) + Number(match[2]));
  }
  return counts;
}
