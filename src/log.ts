import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON lines on stdout, one logger for the whole process; modules take children of it. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { name: 'uns-gateway' } });
}
