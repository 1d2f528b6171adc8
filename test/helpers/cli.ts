import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

export const BIN = resolve(import.meta.dirname, '../../bin/uns-gateway.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion, with `input` on its standard input. */
export function runCli(args: string[], cwd?: string, input = ''): Promise<CliResult> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.end(input);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

export interface RunningGateway {
  child: ChildProcess;
  /** Parsed JSON log lines so far. */
  logs: Array<Record<string, unknown>>;
  /** Resolves with the log line whose msg matches. */
  waitForLog(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
}

/** Starts `uns-gateway run` as a real process, with `nodeFlags` before the script, and follows its JSON log. */
export function startCliGateway(configPath: string, nodeFlags: readonly string[] = []): RunningGateway {
  const child = spawn(process.execPath, [...nodeFlags, BIN, 'run', '--config', configPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  const logs: Array<Record<string, unknown>> = [];
  const listeners: Array<() => void> = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      logs.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      logs.push({ msg: line });
    }
    for (const listener of listeners) listener();
  });
  const exited = new Promise<number | null>((resolvePromise) => child.on('exit', (code) => resolvePromise(code)));
  return {
    child,
    logs,
    exited,
    waitForLog(msg, timeoutMs = 10_000) {
      return new Promise((resolvePromise, reject) => {
        const timer = setTimeout(() => reject(new Error(`no log "${msg}" in ${JSON.stringify(logs)}`)), timeoutMs);
        const check = () => {
          const found = logs.find((entry) => entry.msg === msg);
          if (found) {
            clearTimeout(timer);
            resolvePromise(found);
          }
        };
        listeners.push(check);
        check();
      });
    },
  };
}

/**
 * gateway.yaml for a gateway run as a process: logs at info (the port comes from its "listener ready" line),
 * one TCP listener on 127.0.0.1 port 0, the HTTP listener on port 0, then `rest` (top-level YAML).
 */
export function cliGatewayYaml(id: string, rest = ''): string {
  return `id: ${id}
log:
  level: info
broker:
  listeners:
    - protocol: tcp
      host: 127.0.0.1
      port: 0
http:
  port: 0
${rest}`;
}

/**
 * Starts `uns-gateway run` on `configPath` and waits until it listens; `cleanups` gets the kill (SIGKILL,
 * if it still runs). The config's first listener is taken as the MQTT URL.
 */
export async function startListeningGateway(configPath: string, cleanups: Array<() => Promise<void> | void>): Promise<{ gateway: RunningGateway; url: string }> {
  const gateway = startCliGateway(configPath);
  cleanups.push(async () => {
    if (gateway.child.exitCode === null && gateway.child.signalCode === null) {
      gateway.child.kill('SIGKILL');
      await gateway.exited;
    }
  });
  const ready = await gateway.waitForLog('listener ready');
  return { gateway, url: `mqtt://127.0.0.1:${String(ready.port)}` };
}
