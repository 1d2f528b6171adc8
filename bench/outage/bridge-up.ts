import { connectClient, endClients } from '../shared/mqtt-clients.ts';
import { sleep } from '../shared/wait.ts';

/**
 * Resolves once the edge's bridge carries a message: a probe published on the edge every 200 ms (on a
 * forwarded topic) reached a subscriber on the upstream.
 */
export async function waitForBridge(edgePort: number, upstreamPort: number, topic: string, timeoutMs: number): Promise<void> {
  const watcher = await connectClient('127.0.0.1', upstreamPort, 'outage-probe-watch');
  const probe = await connectClient('127.0.0.1', edgePort, 'outage-probe');
  try {
    let arrived = false;
    watcher.on('message', () => {
      arrived = true;
    });
    await watcher.subscribeAsync(topic, { qos: 1 });
    const deadline = Date.now() + timeoutMs;
    while (!arrived) {
      if (Date.now() > deadline) throw new Error(`the edge's bridge carried no probe within ${timeoutMs} ms`);
      await probe.publishAsync(topic, 'probe', { qos: 1 });
      await sleep(200);
    }
  } finally {
    await endClients([watcher, probe], 2000);
  }
}
