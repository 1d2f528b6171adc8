/**
 * Figure 3 (and the QoS 0 half of figure 1b). The gateway's bridge points at a loopback port nobody
 * listens on; one MQTT.js client publishes `messages` at QoS 0 (paced by TCP, see publisher.ts). VmRSS
 * of the gateway (/proc/<pid>/status) is read at its start, then every 100 ms: the peak, and the value
 * `settleS` after the status showed the whole backlog. Then the store's files, a stop (SIGINT), the files
 * again, and a start on the same store: its time to "listener ready", the backlog it found, its RSS
 * after `settleS` and the peak over that time. The gateway runs with the node flags of `npm start`
 * (none) or of `npm run start:lowmem` (a small V8 heap).
 */
import { mkdirSync } from 'node:fs';
import { freePort } from '../../test/helpers/free-port.ts';
import { connectClient, endClients } from '../shared/mqtt-clients.ts';
import { sleep } from '../shared/wait.ts';
import { startBridgeGateway, storeBytes, type BridgeGateway } from './bridge-gateway.ts';
import { HOST } from './options.ts';
import { flood } from './publisher.ts';
import { StatusWatch } from './status-watch.ts';

export interface MemoryResult {
  messages: number;
  /** Right after the start, before any message. */
  startRss: number;
  /** First publish to the status showing the whole backlog. */
  fillMs: number;
  peakRss: number;
  settledRss: number;
  /** Database and WAL with the backlog, the gateway running, and after its stop. */
  running: { db: number; wal: number };
  stopped: { db: number; wal: number };
  restart: { startMs: number; backlog: number | undefined; peakRss: number; settledRss: number };
}

/** Reads the RSS of a running gateway every 100 ms, keeping the peak. */
function sampleRss(gateway: BridgeGateway): { peak: () => number; stop: () => void } {
  let peak = 0;
  const read = (): void => {
    if (gateway.alive()) peak = Math.max(peak, gateway.rssBytes());
  };
  read();
  const timer = setInterval(read, 100);
  return {
    peak: () => {
      read();
      return peak;
    },
    stop: () => clearInterval(timer),
  };
}

export interface MemorySetup {
  messages: number;
  window: number;
  settleS: number;
  timeoutMs: number;
  /** Whose node flags the gateway runs with: npm start's (none) or start:lowmem's (small V8 heap). */
  script: 'start' | 'start:lowmem';
}

export async function memoryWithBacklog(dir: string, setup: MemorySetup): Promise<MemoryResult> {
  const { messages, window, settleS, timeoutMs, script } = setup;
  mkdirSync(dir, { recursive: true });
  const deadPort = await freePort();
  const gateway = await startBridgeGateway(dir, deadPort, { script });
  const startRss = gateway.rssBytes();
  let first: Omit<MemoryResult, 'stopped' | 'restart'>;
  const rss = sampleRss(gateway);
  try {
    const status = await StatusWatch.open(gateway.port, 'memory-status');
    const publisher = await connectClient(HOST, gateway.port, 'memory-pub');
    const fill = await flood(publisher, 0, messages, 0, window);
    const filledAt = await status.until((s) => s.backlog >= messages, timeoutMs, `backlog ${messages}`);
    await endClients([publisher], 2000);
    await status.close();
    await sleep(settleS * 1000);
    first = { messages, startRss, fillMs: filledAt - fill.startedAt, peakRss: rss.peak(), settledRss: gateway.rssBytes(), running: storeBytes(dir) };
  } finally {
    rss.stop();
    await gateway.stop();
  }
  const stopped = storeBytes(dir);
  const again = await startBridgeGateway(dir, deadPort, { script });
  const rssAgain = sampleRss(again);
  try {
    await sleep(settleS * 1000);
    const restart = { startMs: again.startMs, backlog: again.backlogAtStart, peakRss: rssAgain.peak(), settledRss: again.rssBytes() };
    return { ...first, stopped, restart };
  } finally {
    rssAgain.stop();
    await again.stop();
  }
}
