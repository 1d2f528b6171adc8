/**
 * A lean MQTT 3.1.1 subscriber for the retained read: a socket and mqtt-packet's parser, a PUBACK written back for
 * each QoS 1 message (one write per socket read), and nothing else. MQTT.js spends more CPU per message than either
 * broker here, so with it the read measures the client; with this one it measures the broker, as a SCADA or
 * historian client written in C would see it. Both brokers are read by the same client.
 */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import mqttPacket from 'mqtt-packet';

export interface RawReadCounts {
  received: number;
  other: number;
  notRetained: number;
  subackMs: number;
  firstMs: number;
  lastMs: number;
}

export interface RawReader {
  /** Subscribes to `#` and resolves once `expected` retained messages under `prefix` have come, or rejects after `timeoutMs`. */
  read(expected: number, prefix: string, qos: 0 | 1, timeoutMs: number): Promise<{ counts: RawReadCounts; complete: boolean }>;
  close(): void;
}

/** Connects (clean session) and resolves after the CONNACK. */
export function connectRawReader(host: string, port: number, clientId: string): Promise<RawReader> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    socket.setNoDelay(true);
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    let onPacket: (packet: mqttPacket.Packet) => void = (packet) => {
      if (packet.cmd !== 'connack') return reject(new Error(`expected CONNACK, got ${packet.cmd}`));
      if (packet.returnCode !== 0) return reject(new Error(`CONNACK ${packet.returnCode}`));
      resolve(reader(socket, (handler) => (onPacket = handler)));
    };
    parser.on('packet', (packet) => onPacket(packet));
    parser.on('error', (error) => socket.destroy(error));
    socket.on('data', (chunk) => {
      socket.cork();
      parser.parse(chunk);
      socket.uncork();
    });
    socket.once('error', reject);
    socket.once('connect', () => socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId, keepalive: 60 })));
  });
}

function reader(socket: Socket, handle: (handler: (packet: mqttPacket.Packet) => void) => void): RawReader {
  return {
    read: (expected, prefix, qos, timeoutMs) =>
      new Promise((resolve, reject) => {
        const counts: RawReadCounts = { received: 0, other: 0, notRetained: 0, subackMs: Number.NaN, firstMs: Number.NaN, lastMs: Number.NaN };
        const start = performance.now();
        const finish = (complete: boolean) => {
          clearTimeout(timer);
          resolve({ counts, complete });
        };
        const timer = setTimeout(() => finish(false), timeoutMs);
        socket.once('close', () => reject(new Error('connection closed by the broker')));
        handle((packet) => {
          if (packet.cmd === 'suback') {
            counts.subackMs = performance.now() - start;
            if (packet.granted[0] === 128) reject(new Error('subscription to # refused'));
            return;
          }
          if (packet.cmd !== 'publish') return;
          if (packet.qos === 1 && packet.messageId !== undefined) socket.write(puback(packet.messageId));
          if (!packet.topic.startsWith(prefix)) counts.other++;
          else if (!packet.retain) counts.notRetained++;
          else {
            counts.received++;
            counts.lastMs = performance.now() - start;
            if (counts.received === 1) counts.firstMs = counts.lastMs;
            if (counts.received >= expected) finish(true);
          }
        });
        socket.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: '#', qos }] }));
      }),
    close: () => socket.end(),
  };
}

function puback(messageId: number): Buffer {
  return Buffer.from([0x40, 0x02, messageId >> 8, messageId & 0xff]);
}
