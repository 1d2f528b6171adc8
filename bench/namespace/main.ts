/**
 * Main-thread cost of one tag value: sample batches (encoded and posted over a MessageChannel, as a connector
 * thread sends them) → the decoder → the northbound consumers and the namespace publisher → aedes → the
 * retained store → one QoS 0 subscriber on a raw socket that only counts bytes. 10,000 tags, bursts of 1,000
 * values every 20 ms; the gateway runs in this process, its connector (a Modbus device on a closed port)
 * idle. Prints process CPU per value for the SQLite store and for aedes' memory persistence, the baseline; then,
 * to split the cost, the gateway's broker alone (the same payloads handed straight to it) and aedes alone.
 *
 *   node --import tsx bench/namespace/main.ts
 */
import { connect, createServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Aedes } from 'aedes';
import mqttPacket from 'mqtt-packet';
import { startInProcessGateway } from '../shared/in-process-gateway.ts';

const TAGS = 10_000;
const BURST = 1000;
const WARMUP_BURSTS = 100;
const BURSTS = 300;
const GAP_MS = 20;

/** A QoS 0 subscriber to `s/#` on a raw socket that only reads. */
async function subscriber(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  socket.on('data', () => undefined);
  socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'sub', keepalive: 0 }));
  socket.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 's/#', qos: 0 }] }));
  await sleep(1500);
  return socket;
}

/** Process CPU per value over BURSTS bursts, after WARMUP_BURSTS, each burst sent by `burst(tick)` then GAP_MS of rest. */
async function cpuPerValue(burst: (tick: number) => void): Promise<number> {
  let tick = 0;
  const bursts = async (count: number): Promise<void> => {
    for (let k = 0; k < count; k++) {
      burst(++tick);
      await sleep(GAP_MS);
    }
  };
  await bursts(WARMUP_BURSTS);
  const cpu0 = process.cpuUsage();
  await bursts(BURSTS);
  await sleep(200);
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / (BURSTS * BURST);
}

/** The same payloads as the publisher's, sent as they are: what the gateway's broker costs without the path before it. */
const payloadOf = (value: number, now: number) => `{"value":${value},"timestamp":${now},"quality":"good"}`;
const TOPICS = Array.from({ length: TAGS }, (_, i) => `s/a/b/v${i}`);

/**
 * The gateway, from its samples (`path: 'samples'`) or from its broker (`'broker'`: each value's payload handed
 * to the broker as the publisher hands it, retained at QoS 0, with no decoder, northbound or publisher).
 */
async function measure(engine: 'sqlite' | 'memory', path: 'samples' | 'broker'): Promise<number> {
  const { gateway, tagId, send, stop } = await startInProcessGateway(engine, TAGS);
  const listener = gateway.broker.listeners[0];
  if (!listener) throw new Error('no listener');
  const socket = await subscriber(listener.port);
  const fromSamples = (tick: number) => {
    const now = Date.now();
    send(Array.from({ length: BURST }, (_, i) => ({ tagId: tagId((tick * BURST + i) % TAGS), value: tick + i, quality: 'good', timestamp: now })));
  };
  const fromBroker = (tick: number) => {
    const now = Date.now();
    for (let i = 0; i < BURST; i++) gateway.broker.send(TOPICS[(tick * BURST + i) % TAGS] ?? '', payloadOf(tick + i, now), { qos: 0, retain: true }, () => undefined);
  };
  const perValue = await cpuPerValue(path === 'samples' ? fromSamples : fromBroker);
  socket.destroy();
  await stop();
  return perValue;
}

/**
 * aedes alone, as it comes, with its memory persistence: the same payloads, retained at QoS 0, to the same
 * subscriber. No thread hand-off, decoder, change check, store, or any of the gateway broker's own work.
 */
async function measureBareAedes(): Promise<number> {
  const broker = await Aedes.createBroker();
  const server = createServer((connection) => broker.handle(connection));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no listener');
  const socket = await subscriber(address.port);
  const perValue = await cpuPerValue((tick) => {
    const now = Date.now();
    for (let i = 0; i < BURST; i++) {
      const topic = TOPICS[(tick * BURST + i) % TAGS] ?? '';
      broker.publish({ cmd: 'publish', topic, payload: Buffer.from(payloadOf(tick + i, now)), qos: 0, retain: true, dup: false }, () => undefined);
    }
  });
  socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await new Promise<void>((resolve) => broker.close(() => resolve()));
  return perValue;
}

const sqlite = await measure('sqlite', 'samples');
const memory = await measure('memory', 'samples');
const brokerOnly = await measure('memory', 'broker');
const bare = await measureBareAedes();
const row = (name: string, us: number, note = '') => `  ${name.padEnd(34)}${us.toFixed(2).padStart(6)} µs  ${(us / memory).toFixed(2)}×${note}\n`;
process.stdout.write(
  `CPU per tag value (whole process), ${TAGS.toLocaleString('en-US')} tags, bursts of ${BURST} every ${GAP_MS} ms, ${BURSTS} bursts; × the baseline:\n` +
    row('gateway, SQLite store', sqlite) +
    row('gateway, aedes memory store', memory, ' (baseline)') +
    row('its broker alone, memory store', brokerOnly, ' (payloads handed to the broker: no decoder, northbound or publisher)') +
    row('aedes alone, as it comes', bare, ' (no gateway at all)'),
);
process.exit(0);
