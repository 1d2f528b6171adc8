import { setDebugLogger, setErrorLogger, setTraceLogger, setWarningLogger } from 'node-opcua-debug';
import { format } from 'node:util';

/**
 * node-opcua prints its warnings straight to the console, which would break the gateway's JSON log
 * on stdout (and a browse --yaml document). Route them to `sink` instead.
 */
export function routeOpcuaLogs(sink: (level: 'debug' | 'warn', message: string) => void): void {
  const to = (level: 'debug' | 'warn') => (...args: unknown[]) => sink(level, format(...args).replace(/\s+/g, ' ').trim());
  setWarningLogger(to('debug'));
  setErrorLogger(to('warn'));
  setDebugLogger(to('debug'));
  setTraceLogger(to('debug'));
}
