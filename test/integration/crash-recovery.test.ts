import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { startCliGateway, type RunningGateway } from '../helpers/cli.ts';
import { ClientPool, Inbox, sleep } from '../helpers/mqtt.ts';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.ts';

const TOTAL = 5000;
const KILL_AFTER_ACKS = 2500;
const WINDOW = 64;

const pool = new ClientPool();
let dir: TempDir | undefined;
const gateways: RunningGateway[] = [];

afterEach(async () => {
  await pool.endAll();
  for (const gateway of gateways.splice(0)) {
    if (gateway.child.exitCode === null && gateway.child.signalCode === null) {
      gateway.child.kill('SIGKILL');
      await gateway.exited;
    }
  }
  dir?.remove();
});

async function start(config: string): Promise<{ gateway: RunningGateway; url: string }> {
  const gateway = startCliGateway(config);
  gateways.push(gateway);
  const ready = await gateway.waitForLog('listener ready');
  return { gateway, url: `mqtt://127.0.0.1:${String(ready.port)}` };
}

/** Publishes QoS 1 with a bounded window until told to stop or the connection drops; returns the acknowledged ids. */
function publishUntilCut(publisher: MqttClient, onAck: (acked: number) => void): Promise<Set<number>> {
  const acked = new Set<number>();
  return new Promise((resolve) => {
    let next = 0;
    let inFlight = 0;
    let done = false;
    const finish = () => {
      if (!done) {
        done = true;
        resolve(acked);
      }
    };
    const pump = () => {
      while (!done && inFlight < WINDOW && next < TOTAL) {
        const id = next++;
        inFlight++;
        publisher.publish('crash/data', String(id), { qos: 1 }, (error) => {
          inFlight--;
          if (error) return;
          acked.add(id);
          onAck(acked.size);
          pump();
        });
      }
      if (next >= TOTAL && inFlight === 0) finish();
    };
    publisher.on('close', finish);
    pump();
  });
}

describe('crash recovery (SIGKILL with real processes)', () => {
  it('delivers every acknowledged QoS 1 message to a persistent session after a kill, and keeps retained values and subscriptions', async () => {
    dir = makeTempDir();
    const config = dir.write(
      'gateway.yaml',
      'id: crash-gw\nlog:\n  level: info\nbroker:\n  listeners:\n    - protocol: tcp\n      host: 127.0.0.1\n      port: 0\nhttp:\n  port: 0\nstore:\n  dataDir: ./data\n  durability: full\n',
    );
    const first = await start(config);

    const scada = await pool.connect(first.url, { clientId: 'scada-1', clean: false });
    await scada.subscribeAsync('crash/#', { qos: 1 });
    await scada.publishAsync('crash-retained/setpoint', '55.5', { qos: 1, retain: true });
    await scada.endAsync();

    const publisher = await pool.connect(first.url, { clientId: 'plc-bridge' });
    let killed = false;
    const acked = await publishUntilCut(publisher, (count) => {
      if (!killed && count >= KILL_AFTER_ACKS) {
        killed = true;
        first.gateway.child.kill('SIGKILL');
      }
    });
    await first.gateway.exited;
    expect(first.gateway.child.signalCode).toBe('SIGKILL');
    expect(acked.size).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
    expect(acked.size).toBeLessThan(TOTAL);

    const second = await start(config);
    const again = pool.open(second.url, { clientId: 'scada-1', clean: false });
    const sessionPresent = new Promise<boolean>((resolve) => again.once('connect', (packet) => resolve(packet.sessionPresent)));
    const inbox = new Inbox(again);
    expect(await sessionPresent).toBe(true);
    const deadline = Date.now() + 15_000;
    const seen = () => new Set(inbox.messages.map((m) => Number(m.payload)));
    while (Date.now() < deadline && [...acked].some((id) => !seen().has(id))) await sleep(100);
    await sleep(300);

    const received = inbox.messages.map((m) => Number(m.payload));
    const receivedSet = new Set(received);
    const missing = [...acked].filter((id) => !receivedSet.has(id));
    const duplicates = received.length - receivedSet.size;
    const extras = [...receivedSet].filter((id) => !acked.has(id)).length;
    console.log(
      `crash test: ${acked.size} acknowledged before SIGKILL, ${received.length} delivered after restart, ` +
        `${missing.length} missing, ${duplicates} duplicates, ${extras} extras that were in flight unacknowledged`,
    );
    expect(missing).toEqual([]);

    const reader = await pool.connect(second.url);
    const retained = new Inbox(reader);
    await reader.subscribeAsync('crash-retained/#', { qos: 1 });
    const [setpoint] = await retained.waitFor(1);
    expect(setpoint).toMatchObject({ topic: 'crash-retained/setpoint', payload: '55.5', retain: true });
  }, 60_000);
});
