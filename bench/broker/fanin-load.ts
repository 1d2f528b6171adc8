import type { MqttClient } from 'mqtt';
import { performance } from 'node:perf_hooks';
import { connectClient } from '../shared/mqtt-clients.ts';
import type { LoadConfig } from './protocol.ts';

export interface FaninRound {
  sent: number;
  received: number;
  elapsedMs: number;
  timedOut: boolean;
  /** Gave up because nothing was delivered for `idleMs` while the window was full. */
  stalled: boolean;
}

/** A publisher's topics, one per message in turn: `base` alone, or `base/t0` … `base/t<size-1>`. */
class TopicCycle {
  private next = 0;
  constructor(
    private readonly base: string,
    private readonly size: number,
  ) {}

  take(): string {
    if (this.size === 1) return this.base;
    const k = this.next;
    this.next = (k + 1) % this.size;
    return `${this.base}/t${k}`;
  }
}

interface Publisher {
  client: MqttClient;
  topics: TopicCycle;
  remaining: number;
  blocked: boolean; // waiting for the socket's 'drain'
}

/** Messages a publisher sends per turn before the scheduler moves to the next one. */
const CHUNK = 32;

/**
 * QoS 0 fan-in: N publishers, one subscriber on `<prefix>/#`. Each publisher has its own topics and
 * cycles through them, one per message: `<prefix>/p<i>` when it has one, `<prefix>/p<i>/t<k>` when more.
 * Outstanding work is bounded twice: per socket (stop on a full write buffer
 * until 'drain') and end to end (at most `window` messages published but not
 * yet received by the subscriber).
 */
export class FaninLoad {
  private received = 0;
  private roundListener: (() => void) | null = null;
  /** The publishers with their topics; a round continues each cycle where the one before stopped. */
  private readonly senders: { client: MqttClient; topics: TopicCycle }[];

  private constructor(
    private readonly cfg: LoadConfig,
    readonly clients: MqttClient[],
    sub: MqttClient,
    pubs: MqttClient[],
  ) {
    sub.on('message', () => {
      this.received++;
      this.roundListener?.();
    });
    this.senders = pubs.map((client, i) => ({ client, topics: new TopicCycle(`${cfg.topicPrefix}/p${i}`, cfg.topicsPerPublisher) }));
  }

  static async connect(cfg: LoadConfig): Promise<FaninLoad> {
    const sub = await connectClient(cfg.host, cfg.port, 'sub', cfg.credentials);
    await sub.subscribeAsync(`${cfg.topicPrefix}/#`, { qos: 0 });
    const pubs = await Promise.all(
      Array.from({ length: cfg.publishers }, (_, i) => connectClient(cfg.host, cfg.port, `pub${i}`, cfg.credentials)),
    );
    return new FaninLoad(cfg, [sub, ...pubs], sub, pubs);
  }

  /** Publish `total` messages spread over all publishers; resolves when all arrived (or idle/timeout). */
  run(total: number, timeoutMs: number): Promise<FaninRound> {
    const { cfg } = this;
    const payload = Buffer.alloc(cfg.payloadBytes, 0x61);
    const per = Math.floor(total / this.senders.length);
    const pubs: Publisher[] = this.senders.map(({ client, topics }, i) => ({
      client,
      topics,
      remaining: per + (i < total % this.senders.length ? 1 : 0),
      blocked: false,
    }));
    const base = this.received;
    let sent = 0;
    let waitingForWindow = false;
    let next = 0; // round-robin start
    let lastProgress = performance.now();
    const start = performance.now();
    let lastReceiveAt = start;

    return new Promise<FaninRound>((resolve) => {
      let finished = false;
      const finish = (timedOut: boolean, stalled = false): void => {
        if (finished) return;
        finished = true;
        this.roundListener = null;
        clearInterval(watchdog);
        resolve({ sent, received: this.received - base, elapsedMs: lastReceiveAt - start, timedOut, stalled });
      };
      const outstanding = (): number => sent - (this.received - base);

      const schedule = (): void => {
        if (finished) return; // a late 'drain' after the round ended
        for (;;) {
          let progressed = false;
          for (let k = 0; k < pubs.length; k++) {
            const p = pubs[(next + k) % pubs.length];
            if (p === undefined || p.remaining === 0 || p.blocked) continue;
            for (let j = 0; j < CHUNK && p.remaining > 0; j++) {
              if (outstanding() >= cfg.window) {
                waitingForWindow = true;
                next = (next + k) % pubs.length;
                return;
              }
              p.client.publish(p.topics.take(), payload, { qos: 0 });
              p.remaining--;
              sent++;
              progressed = true;
              if (p.client.stream.writableNeedDrain) {
                p.blocked = true;
                p.client.stream.once('drain', () => {
                  p.blocked = false;
                  schedule();
                });
                break;
              }
            }
          }
          next = (next + 1) % pubs.length;
          if (!progressed) return;
        }
      };

      this.roundListener = (): void => {
        lastReceiveAt = performance.now();
        lastProgress = lastReceiveAt;
        const got = this.received - base;
        if (got >= total) {
          finish(false);
        } else if (waitingForWindow && outstanding() <= cfg.window / 2) {
          waitingForWindow = false;
          schedule();
        }
      };

      // Ends the round when nothing arrives any more (QoS 0 loss after the last
      // publish, or a stall with the window full) or on the hard timeout.
      const watchdog = setInterval(() => {
        const now = performance.now();
        if (now - start > timeoutMs) finish(true);
        else if (now - lastProgress > cfg.idleMs) {
          if (pubs.every((p) => p.remaining === 0)) finish(false);
          else if (waitingForWindow) finish(false, true);
        }
      }, 50);

      schedule();
    });
  }
}
