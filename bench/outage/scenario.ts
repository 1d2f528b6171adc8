/**
 * One outage, start to end: the upstream up with the collector's session, the edge bridged to it, the
 * upstream stopped, `total` messages published to the edge with the edge restarted halfway, the upstream
 * started again, and the collector reading until the upstream has been quiet for `quietMs`.
 */
import { makeTempDir, removeTempDir } from '../shared/cleanup.ts';
import { freePort } from '../../test/helpers/free-port.ts';
import { waitForBridge } from './bridge-up.ts';
import { Collector } from './collector.ts';
import { gatewayEdge, mosquittoEdge, type Edge } from './edges.ts';
import { mosquittoNode } from './mosquitto-node.ts';
import { publishThroughRestart, type PublishReport } from './publisher.ts';
import { sequenceFigures, type SequenceFigures } from './sequence.ts';

export type Setup = 'mosquitto' | 'gateway';

export interface OutageSettings {
  mosquittoBin: string;
  total: number;
  window: number;
  quietMs: number;
}

export interface Outcome extends SequenceFigures {
  label: string;
  signal: NodeJS.Signals;
  publish: PublishReport;
  /** From the first publish to the last acknowledgement, the restart included, ms. */
  publishMs: number;
  /** From the upstream's start to the first and to the last message at the collector, ms. */
  firstMs: number;
  drainMs: number;
  /** The edge's own notes (the gateway's warnings and backlog figures). */
  notes: string[];
}

const TOPIC = 'outage/seq';
/** Longer than Mosquitto's longest bridge reconnect wait (restart_timeout cap 30 s, jittered). */
const FIRST_WITHIN_MS = 60_000;

export async function runOutage(setup: Setup, signal: NodeJS.Signals, settings: OutageSettings): Promise<Outcome> {
  const dir = makeTempDir(`uns-bench-outage-${setup}-`);
  const upstreamPort = await freePort();
  const edgePort = await freePort();
  // Unbounded queues upstream: the upstream is the measuring point and must drop nothing itself.
  const upstream = mosquittoNode(settings.mosquittoBin, 'upstream', dir, upstreamPort, ['max_queued_messages 0']);
  const edge: Edge = setup === 'mosquitto' ? mosquittoEdge(settings.mosquittoBin, dir, edgePort, upstreamPort) : gatewayEdge(dir, edgePort, upstreamPort);
  const collector = new Collector(upstreamPort, TOPIC);
  try {
    await upstream.start();
    await collector.register();
    await edge.start();
    await waitForBridge(edgePort, upstreamPort, 'outage/probe', 30_000);
    await upstream.stop('SIGTERM');

    const published = performance.now();
    const publish = await publishThroughRestart({
      port: edgePort,
      topic: TOPIC,
      total: settings.total,
      window: settings.window,
      restartAt: Math.floor(settings.total / 2),
      restart: async () => {
        await edge.stop(signal);
        await edge.start();
      },
    });

    const publishMs = performance.now() - published;
    const t0 = performance.now();
    await upstream.start();
    await collector.collect(10_000);
    await collector.quiet(t0, settings.quietMs, FIRST_WITHIN_MS, 300_000);
    const figures = sequenceFigures(collector.arrivals, settings.total, publish.inFlightAtRestart);
    return {
      label: edge.label,
      signal,
      publish,
      publishMs,
      ...figures,
      firstMs: collector.firstAt === undefined ? Number.NaN : collector.firstAt - t0,
      drainMs: collector.lastAt === undefined ? Number.NaN : collector.lastAt - t0,
      notes: edge.notes(),
    };
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new Error(`${edge.label}, edge restart by ${signal}: ${msg}\n--- edge output (tail) ---\n${edge.logTail()}\n--- upstream output (tail) ---\n${upstream.logTail()}`);
  } finally {
    await collector.close().catch(() => undefined);
    await edge.stop('SIGKILL');
    await upstream.stop('SIGKILL');
    removeTempDir(dir);
  }
}
