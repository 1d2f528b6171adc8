/**
 * The bridge's retained status (`_gateway/bench/bridges/hq/status`, refreshed every 0.1 s while it
 * changes), read by a client of the gateway: the latest one, and waits for a condition on it.
 */
import type { MqttClient } from 'mqtt';
import type { BridgeStatus } from '../../src/bridge/bridge-status.ts';
import { connectClient } from '../shared/mqtt-clients.ts';
import { HOST } from './options.ts';
import { STATUS_TOPIC } from './bridge-gateway.ts';

export class StatusWatch {
  latest: BridgeStatus | undefined;
  /** performance.now() when `latest` arrived. */
  latestAt = Number.NaN;
  private waiters: Array<{ test: (status: BridgeStatus) => boolean; resolve: (at: number) => void }> = [];

  private constructor(private readonly client: MqttClient) {
    client.on('message', (topic, payload) => {
      if (topic !== STATUS_TOPIC) return;
      const at = performance.now();
      const status = JSON.parse(payload.toString('utf8')) as BridgeStatus;
      this.latest = status;
      this.latestAt = at;
      const ready = this.waiters.filter((w) => w.test(status));
      this.waiters = this.waiters.filter((w) => !w.test(status));
      for (const w of ready) w.resolve(at);
    });
  }

  static async open(port: number, name: string): Promise<StatusWatch> {
    const client = await connectClient(HOST, port, name);
    const watch = new StatusWatch(client);
    await client.subscribeAsync(STATUS_TOPIC, { qos: 0 });
    return watch;
  }

  /**
   * Resolves with performance.now() when a status passing `test` arrived (at once if the latest does);
   * rejects after `timeoutMs`, saying `what` and the latest status.
   */
  until(test: (status: BridgeStatus) => boolean, timeoutMs: number, what: string): Promise<number> {
    if (this.latest !== undefined && test(this.latest)) return Promise.resolve(this.latestAt);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no bridge status with ${what} within ${timeoutMs / 1000} s; last: ${JSON.stringify(this.latest)}`));
      }, timeoutMs);
      const waiter = {
        test,
        resolve: (at: number) => {
          clearTimeout(timer);
          resolve(at);
        },
      };
      this.waiters.push(waiter);
    });
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}
