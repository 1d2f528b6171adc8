import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import mqttPacket from 'mqtt-packet';
import { tcpEntry, type TcpEntry } from './tcp-state.ts';

const POLL_MS = 100;

export interface StalledOptions {
  clientId: string;
  /** false: a persistent session (MQTT clean session flag off). */
  clean: boolean;
  topic: string;
  timeoutMs: number;
}

export interface SettleResult {
  /** Time from SUBACK until the broker's send queue to this client stopped growing (or the broker dropped it). */
  afterMs: number;
  /** false if it was still growing when the wait gave up. */
  settled: boolean;
}

export interface StalledStatus {
  /** Time from SUBACK until the broker's end of the connection was first seen closing or gone; null if never. */
  disconnectedAfterMs: number | null;
  /** The broker's end of the connection now; null once it is gone. */
  brokerEnd: TcpEntry | null;
  /** The stalled client's end now (its receive queue is what it left unread in the kernel). */
  clientEnd: TcpEntry | null;
}

/**
 * A subscriber that stops reading: a raw TCP socket sends CONNECT (keep-alive
 * off) and SUBSCRIBE at QoS 1, reads up to the SUBACK and then never reads
 * again (Node buffers at most one high-water mark, 16 KiB, before it stops
 * reading from the kernel). Whether and when the broker drops it is seen in
 * /proc/net/tcp, as the client itself learns nothing while it is not reading.
 */
export class StalledSubscriber {
  private disconnectedAt: number | null = null;
  private readonly poll: NodeJS.Timeout;

  private constructor(
    private readonly socket: net.Socket,
    private readonly brokerPort: number,
    private readonly localPort: number,
    private readonly subscribedAt: number,
  ) {
    socket.once('close', () => this.markDisconnected());
    this.poll = setInterval(() => this.check(), POLL_MS);
    this.poll.unref();
  }

  static connect(port: number, opts: StalledOptions): Promise<StalledSubscriber> {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.on('error', () => undefined); // a reset shows up as 'close' and in /proc/net/tcp
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    return new Promise<StalledSubscriber>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`no SUBACK within ${opts.timeoutMs} ms`)), opts.timeoutMs);
      const fail = (err: Error): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(new Error(`stalled subscriber: ${err.message}`));
      };
      const onData = (chunk: Buffer): void => {
        parser.parse(chunk);
      };
      parser.on('error', (err: Error) => fail(err));
      parser.on('packet', (packet) => {
        if (packet.cmd === 'connack' && packet.returnCode !== 0) fail(new Error(`CONNACK return code ${packet.returnCode}`));
        if (packet.cmd !== 'suback') return;
        clearTimeout(timer);
        socket.off('data', onData);
        socket.off('close', onClose);
        socket.pause();
        if (packet.granted[0] !== 1) return fail(new Error(`SUBACK granted ${JSON.stringify(packet.granted)}, not QoS 1`));
        if (socket.localPort === undefined) return fail(new Error('socket has no local port'));
        resolve(new StalledSubscriber(socket, port, socket.localPort, performance.now()));
      });
      const onClose = (): void => fail(new Error('connection closed before SUBACK'));
      socket.once('close', onClose);
      socket.on('data', onData);
      socket.once('connect', () => {
        socket.setNoDelay(true);
        socket.write(
          mqttPacket.generate({
            cmd: 'connect',
            protocolId: 'MQTT',
            protocolVersion: 4,
            clean: opts.clean,
            clientId: opts.clientId,
            keepalive: 0,
          }),
        );
        socket.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: opts.topic, qos: 1 }] }));
      });
    });
  }

  /**
   * Waits until the broker's end is gone, or until the bytes on their way to this client (the broker's
   * send queue plus this end's receive queue) have stopped growing for `stableMs`: until the kernel
   * buffers are full, the broker can write to this client as if it were reading.
   */
  async waitUntilSettled(stableMs: number, timeoutMs: number): Promise<SettleResult> {
    let last = -1;
    let stableSince = performance.now();
    for (;;) {
      const now = performance.now();
      const brokerEnd = tcpEntry(this.brokerPort, this.localPort);
      if (brokerEnd === null || brokerEnd.state !== 'ESTABLISHED') return { afterMs: now - this.subscribedAt, settled: true };
      const queued = brokerEnd.sendQueue + (tcpEntry(this.localPort, this.brokerPort)?.recvQueue ?? 0);
      if (queued > last) {
        last = queued;
        stableSince = now;
      } else if (now - stableSince >= stableMs) {
        return { afterMs: stableSince - this.subscribedAt, settled: true };
      }
      if (now - this.subscribedAt >= timeoutMs) return { afterMs: now - this.subscribedAt, settled: false };
      await sleep(POLL_MS);
    }
  }

  status(): StalledStatus {
    this.check();
    return {
      disconnectedAfterMs: this.disconnectedAt === null ? null : this.disconnectedAt - this.subscribedAt,
      brokerEnd: tcpEntry(this.brokerPort, this.localPort),
      clientEnd: tcpEntry(this.localPort, this.brokerPort),
    };
  }

  /** Closes the socket; the unread data makes it a reset, so the broker lets go at once. */
  close(): void {
    clearInterval(this.poll);
    this.socket.destroy();
  }

  private check(): void {
    if (this.disconnectedAt !== null) return;
    const end = tcpEntry(this.brokerPort, this.localPort);
    if (end === null || end.state !== 'ESTABLISHED') this.markDisconnected();
  }

  private markDisconnected(): void {
    this.disconnectedAt ??= performance.now();
  }
}
