/**
 * Idle connected clients: raw MQTT 3.1.1 connections (CONNECT, then one SUBSCRIBE to a topic nobody publishes
 * on) that then do nothing, so that the brokers carry a plant's worth of connections and subscriptions during
 * the measurement. Keep-alive 0: no pings, so they cost the brokers no CPU while idle.
 */
import { connect, type Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';

function openOne(port: number, id: string, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    const timer = setTimeout(() => fail(new Error(`idle client ${id}: no SUBACK within ${timeoutMs} ms`)), timeoutMs);
    function fail(err: Error): void {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    }
    parser.on('packet', (p) => {
      if (p.cmd === 'connack' && p.returnCode !== 0) fail(new Error(`idle client ${id}: CONNACK ${p.returnCode}`));
      if (p.cmd !== 'suback') return;
      clearTimeout(timer);
      socket.removeAllListeners('error');
      socket.on('error', () => undefined);
      resolve(socket);
    });
    socket.on('data', (chunk) => parser.parse(chunk));
    socket.once('error', fail);
    socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: id, keepalive: 0 }));
    socket.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: `idle/${id}/cmd`, qos: 1 }] }));
  });
}

/** Open `count` idle clients, 50 at a time; resolves with a function that closes them all. */
export async function openIdleClients(port: number, count: number, tag: string, timeoutMs: number): Promise<() => void> {
  const sockets: Socket[] = [];
  const close = (): void => {
    for (const s of sockets) s.destroy();
  };
  for (let i = 0; i < count; i += 50) {
    const batch = Array.from({ length: Math.min(50, count - i) }, (_, k) => openOne(port, `${tag}-idle${i + k}`, timeoutMs));
    const settled = await Promise.allSettled(batch);
    for (const s of settled) if (s.status === 'fulfilled') sockets.push(s.value);
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed !== undefined) {
      close();
      throw failed.reason;
    }
  }
  return close;
}
