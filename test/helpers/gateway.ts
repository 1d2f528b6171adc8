import { loadConfig } from '../../src/config/load.ts';
import { startGateway, type Gateway } from '../../src/gateway.ts';
import { createLogger, type Logger } from '../../src/log.ts';
import { makeTempDir, type TempDir } from './temp-dir.ts';

export interface TestGateway {
  gateway: Gateway;
  dir: TempDir;
  /** Port of each listener, by protocol. */
  port(protocol: 'tcp' | 'tls' | 'ws' | 'wss'): number;
  url(protocol?: 'tcp' | 'ws'): string;
  stop(): Promise<void>;
}

const DEFAULT_LISTENERS = `
    - protocol: tcp
      host: 127.0.0.1
      port: 0
    - protocol: ws
      host: 127.0.0.1
      port: 0
      path: /mqtt`;

export interface TestGatewayOptions {
  /** YAML list items under broker.listeners (default: tcp and ws on port 0). */
  listeners?: string;
  /** Mapping files, by name relative to the config folder. */
  mappings?: Record<string, string>;
  /** Extra top-level YAML for gateway.yaml. */
  extra?: string;
  /** Extra YAML lines under `store:` (dataDir is ./data). */
  store?: string;
  /** YAML lines under `http:` (default: loopback, port 0). */
  http?: string;
  /** Files written beside the config before it loads (certificates). */
  files?: Record<string, string>;
  /** A folder to reuse (a restart on the same data); it is left in place on stop. */
  dir?: TempDir;
  /** The gateway's logger (default: silent). */
  log?: Logger;
}

/** Starts a real gateway on ephemeral ports from a temp config folder. */
export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const dir = options.dir ?? makeTempDir();
  const removeDir = options.dir ? () => undefined : () => dir.remove();
  for (const [name, text] of Object.entries(options.files ?? {})) dir.write(name, text);
  for (const [name, text] of Object.entries(options.mappings ?? {})) dir.write(name, text);
  const mappingList = Object.keys(options.mappings ?? {}).map((name) => `\n  - ${name}`).join('');
  const file = dir.write(
    'gateway.yaml',
    `id: test-gw
log:
  level: silent
broker:
  listeners:${options.listeners ?? DEFAULT_LISTENERS}
store:
  dataDir: ./data
${options.store ?? ''}
http:
${options.http ?? '  port: 0'}
mappings:${mappingList === '' ? ' []' : mappingList}
${options.extra ?? ''}`,
  );
  let gateway: Gateway;
  try {
    gateway = await startGateway(loadConfig(file), options.log ?? createLogger('silent'));
  } catch (error) {
    removeDir();
    throw error;
  }
  const port = (protocol: string) => {
    const listener = gateway.broker.listeners.find((l) => l.protocol === protocol);
    if (!listener) throw new Error(`no ${protocol} listener`);
    return listener.port;
  };
  return {
    gateway,
    dir,
    port,
    url: (protocol = 'tcp') => (protocol === 'tcp' ? `mqtt://127.0.0.1:${port('tcp')}` : `ws://127.0.0.1:${port('ws')}/mqtt`),
    async stop() {
      await gateway.stop();
      removeDir();
    },
  };
}
