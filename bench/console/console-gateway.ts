/**
 * The gateway process of bench:console: bench:modbus's config with a WebSocket listener added (the page
 * talks MQTT over it), the HTTP listener's port read from its log, and a subscriber counting the values sent.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { launchGateway } from '../shared/gateway-process.ts';
import { connectClient, endClients } from '../shared/mqtt-clients.ts';
import { REPO_ROOT } from '../shared/repo-root.ts';
import { stopProcess } from '../shared/process.ts';

const TCP_LISTENER = '    - protocol: tcp\n      host: 127.0.0.1\n      port: 0\n';
const WS_LISTENER = '    - protocol: ws\n      host: 127.0.0.1\n      port: 0\n      path: /mqtt\n';

export interface ConsoleGateway {
  httpPort: number;
  /** Value messages a subscriber on every topic received so far. */
  messages(): number;
  stop(): Promise<void>;
}

export async function startConsoleGateway(configFile: string): Promise<ConsoleGateway> {
  const text = readFileSync(configFile, 'utf8');
  if (!text.includes(TCP_LISTENER)) throw new Error(`${configFile}: no loopback TCP listener to add a WebSocket one after`);
  writeFileSync(configFile, text.replace(TCP_LISTENER, TCP_LISTENER + WS_LISTENER));
  let httpPort = 0;
  const gw = await launchGateway({
    repoRoot: REPO_ROOT,
    configFile,
    startTimeoutMs: 60_000,
    onLog: (record) => {
      if (record.msg === 'http listener ready' && typeof record.port === 'number') httpPort = record.port;
    },
  });
  const client = await connectClient('127.0.0.1', gw.port, 'console-bench-counter');
  let messages = 0;
  client.on('message', () => messages++);
  await client.subscribeAsync('bench/#', { qos: 0 });
  if (httpPort === 0) throw new Error('no "http listener ready" line');
  return {
    httpPort,
    messages: () => messages,
    stop: async () => {
      await endClients([client], 5000);
      await stopProcess(gw.child, 'SIGINT', 15_000);
    },
  };
}
