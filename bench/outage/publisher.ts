/**
 * The publisher of the outage: `total` QoS 1 messages on one topic, the payload the sequence number (1…total),
 * at most `window` unacknowledged. When the edge goes away it connects again (a new clean session) and
 * publishes again every message not acknowledged yet, in order, then goes on. After `restartAt` distinct
 * acknowledgements it stops sending and runs the restart, then continues until every message is acknowledged.
 */
import { Socket } from 'node:net';
import { connectAsync, type MqttClient } from 'mqtt';
import { sleep } from '../shared/wait.ts';

export interface PublishPlan {
  port: number;
  topic: string;
  total: number;
  window: number;
  restartAt: number;
  restart: () => Promise<void>;
}

export interface PublishReport {
  /** Distinct sequence numbers the edge acknowledged. */
  acked: number;
  /** Messages sent and not yet acknowledged when the restart began (the publisher's in-flight window). */
  inFlightAtRestart: number[];
  /** Messages sent again on a new connection. */
  resent: number;
  /** Connections to the edge. */
  connections: number;
}

const CONNECT_DEADLINE_MS = 60_000;

export async function publishThroughRestart(plan: PublishPlan): Promise<PublishReport> {
  const acked = new Set<number>();
  const unacked = new Set<number>();
  const report: PublishReport = { acked: 0, inFlightAtRestart: [], resent: 0, connections: 0 };
  let next = 1;
  let restarting: Promise<void> | undefined;
  let paused = false;

  const session = (client: MqttClient) =>
    new Promise<void>((resolve) => {
      let open = true;
      const send = (seq: number) => {
        unacked.add(seq);
        client.publish(plan.topic, String(seq), { qos: 1 }, (error) => {
          if (!open || error) return;
          unacked.delete(seq);
          acked.add(seq);
          if (acked.size === plan.restartAt && restarting === undefined) {
            report.inFlightAtRestart = [...unacked].sort((a, b) => a - b);
            paused = true;
            restarting = plan.restart().finally(() => {
              paused = false;
            });
            restarting.catch(finish); // rethrown by the loop below
          }
          if (acked.size === plan.total) finish();
          else pump();
        });
      };
      const pump = () => {
        while (open && !paused && unacked.size < plan.window && next <= plan.total) send(next++);
      };
      const finish = () => {
        if (!open) return;
        open = false;
        client.end(true);
        resolve();
      };
      client.once('close', finish);
      client.on('error', () => undefined); // the edge going away; 'close' follows
      const again = [...unacked].sort((a, b) => a - b);
      report.resent += again.length;
      for (const seq of again) send(seq);
      pump();
    });

  while (acked.size < plan.total) {
    if (paused) await restarting;
    const client = await connect(plan.port);
    report.connections++;
    await session(client);
  }
  if (restarting !== undefined) await restarting;
  report.acked = acked.size;
  return report;
}

async function connect(port: number): Promise<MqttClient> {
  const deadline = Date.now() + CONNECT_DEADLINE_MS;
  for (;;) {
    try {
      const client = await connectAsync(
        `mqtt://127.0.0.1:${port}`,
        { clientId: `outage-publisher-${process.pid}`, clean: true, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000 },
        false,
      );
      if (client.stream instanceof Socket) client.stream.setNoDelay(true);
      return client;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`publisher: no connection to 127.0.0.1:${port} within ${CONNECT_DEADLINE_MS} ms: ${String(err)}`);
      await sleep(100);
    }
  }
}
