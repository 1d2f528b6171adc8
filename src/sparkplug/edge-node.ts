import type { DeviceStatusReport, Sample } from '../../connectors/sdk.ts';
import type { Logger } from '../log.ts';
import type { NorthboundConsumer } from '../northbound/northbound.ts';
import type { InboundMessage } from '../uns/message-bus.ts';
import type { NamespaceTag } from '../uns/namespace.ts';
import type { WriteService } from '../writes/write-service.ts';
import { decodePayload, encodePayload, type MetricInput } from './codec.ts';
import { commandValue } from './command-value.ts';
import { DataType } from './datatypes.ts';
import type { HeldData } from './held-data.ts';
import { hostIsOnline } from './host-state.ts';
import { birthMetric, dataMetric, learnDataType, metricName, type MetricDefinition } from './metrics.ts';
import type { SparkplugSession } from './session.ts';

const NAMESPACE = 'spBv1.0';
const REBIRTH = 'Node Control/Rebirth';

export interface EdgeNodeOptions {
  groupId: string;
  edgeNodeId: string;
  /** The namespace root, taken off metric names. */
  root: string | undefined;
  tags: readonly NamespaceTag[];
  /** The MQTT session on the broker published to. */
  session: SparkplugSession;
  latest: (tagId: string) => Sample | undefined;
  writes: WriteService;
  /** The primary host application to wait for, and what it last said when the node starts (undefined: nothing yet). */
  primaryHost?: { id: string; retainedState: Buffer | undefined } | undefined;
  /** Where data waits while it cannot go out (no session, or the primary host offline); undefined: it is not kept. */
  held: HeldData | undefined;
  log: Logger;
}

interface DeviceState {
  alive: boolean;
  metrics: MetricDefinition[];
}

/**
 * The gateway as a Sparkplug B edge node in one MQTT session (on the embedded broker, or a bridge's upstream):
 * one Sparkplug device per mapped device, one metric per tag. NBIRTH when the session is up (and the primary
 * host online) and on a Rebirth command; a device's DBIRTH with every metric when it is first read, DDATA by
 * exception (aliases only), DDEATH when it fails, DBIRTH again when it is back. While data cannot go out it is
 * held, and sent after the next birth marked historical, before anything live. DCMD writes go through the
 * write service as the client that sent them.
 */
export class SparkplugEdgeNode implements NorthboundConsumer {
  readonly name: string;
  private seq = 0;
  private bdSeq = 0;
  private sessionUp = false;
  /** Without a primary host, always; else while it says it is online. */
  private hostOnline: boolean;
  /** Held data is being sent: new values queue behind it. */
  private releasing = false;
  /** One more each time data stops going out, so that a release in progress knows to stop. */
  private generation = 0;
  private devices = new Map<string, DeviceState>();
  private byTagId = new Map<string, MetricDefinition>();

  constructor(private readonly options: EdgeNodeOptions) {
    this.name = `sparkplug (${options.session.name})`;
    const host = options.primaryHost;
    this.hostOnline = host === undefined || (host.retainedState !== undefined && hostIsOnline(host.retainedState) === true);
    this.define(options.tags);
  }

  /** A reload: the metrics from now on, announced by a new NBIRTH and DBIRTHs (aliases may have moved). */
  retag(tags: readonly NamespaceTag[]): void {
    this.define(tags);
    if (this.live) this.nodeBirth();
  }

  /** One metric per tag, aliases in tag order; a device keeps whether it is alive, a tag whose settings are unchanged its datatype. */
  private define(tags: readonly NamespaceTag[]): void {
    const before = this.byTagId;
    const alive = new Set([...this.devices].filter(([, device]) => device.alive).map(([name]) => name));
    this.byTagId = new Map();
    this.devices = new Map();
    tags.forEach((tag, index) => {
      const old = before.get(tag.id);
      const same = old !== undefined && JSON.stringify(old.tag.config) === JSON.stringify(tag.config);
      const definition: MetricDefinition = { tag, name: metricName(tag, this.options.root), alias: index + 1, datatype: same ? old.datatype : undefined };
      this.byTagId.set(tag.id, definition);
      let device = this.devices.get(tag.device);
      if (device === undefined) this.devices.set(tag.device, (device = { alive: alive.has(tag.device), metrics: [] }));
      device.metrics.push(definition);
    });
  }

  topic(type: string, device?: string): string {
    return `${NAMESPACE}/${this.options.groupId}/${type}/${this.options.edgeNodeId}${device === undefined ? '' : `/${device}`}`;
  }

  /** Whether births and data go out now. */
  private get live(): boolean {
    return this.sessionUp && this.hostOnline;
  }

  async start(): Promise<void> {
    const { session, log } = this.options;
    await session.subscribe(this.topic('NCMD'), (message) => this.nodeCommand(message));
    await session.subscribe(`${this.topic('DCMD')}/+`, (message) => void this.deviceCommand(message));
    const host = this.options.primaryHost;
    if (host !== undefined) {
      await session.subscribe(`${NAMESPACE}/STATE/${host.id}`, (message) => {
        const online = hostIsOnline(message.payload);
        if (online !== undefined) this.change(() => (this.hostOnline = online));
      });
      if (!this.hostOnline) log.info({ broker: session.name, primaryHost: host.id, held: this.options.held?.depth }, 'sparkplug waits for its primary host; data is held meanwhile');
    }
    await session.open(
      {
        up: (bdSeq) =>
          this.change(() => {
            this.bdSeq = bdSeq;
            this.sessionUp = true;
          }),
        // A new session learns the primary host's state again from its retained STATE.
        down: () =>
          this.change(() => {
            this.sessionUp = false;
            if (host !== undefined) this.hostOnline = false;
          }),
      },
      this.topic('NDEATH'),
      (bdSeq) => this.deathPayload(bdSeq),
    );
  }

  async stop(): Promise<void> {
    this.generation++;
    await this.options.session.close();
  }

  onSamples(samples: readonly Sample[]): void {
    const byDevice = new Map<string, Sample[]>();
    for (const sample of samples) {
      const definition = this.byTagId.get(sample.tagId);
      if (definition === undefined) continue;
      const list = byDevice.get(definition.tag.device);
      if (list === undefined) byDevice.set(definition.tag.device, [sample]);
      else list.push(sample);
    }
    for (const [name, list] of byDevice) {
      const device = this.devices.get(name);
      if (device === undefined) continue;
      if (!this.live) {
        if (!device.alive && list.some((sample) => sample.quality === 'good')) device.alive = true;
        if (device.alive) this.options.held?.hold(name, list);
        continue;
      }
      if (!device.alive) {
        if (list.some((sample) => sample.quality === 'good')) this.deviceBirth(name, device);
        continue;
      }
      // A metric born null before its first value, whose value fixes another datatype, is born again.
      const retyped = list.filter((sample) => {
        const definition = this.byTagId.get(sample.tagId);
        return definition !== undefined && learnDataType(definition, sample);
      });
      if (retyped.length > 0) {
        this.deviceBirth(name, device);
        continue;
      }
      if (this.releasing) {
        this.options.held?.hold(name, list);
        continue;
      }
      const metrics = list.flatMap((sample) => {
        const definition = this.byTagId.get(sample.tagId);
        return definition === undefined ? [] : [dataMetric(definition, sample)];
      });
      this.send('DDATA', metrics, name);
    }
  }

  onStatus(report: DeviceStatusReport): void {
    const device = this.devices.get(report.device);
    if (device === undefined || !device.alive || report.state !== 'error') return;
    device.alive = false;
    if (this.live) void this.send('DDEATH', [], report.device);
  }

  /** Applies a change of the session or the primary host: data starts going out (a birth, then what was held), or stops. */
  private change(apply: () => void): void {
    const was = this.live;
    apply();
    if (was === this.live) return;
    const { session, primaryHost, log } = this.options;
    log.info({ broker: session.name, primaryHost: primaryHost?.id, live: this.live }, this.live ? 'sparkplug births, then held data' : 'sparkplug holds data');
    if (this.live) void this.goLive();
    else {
      this.generation++;
      this.releasing = false;
    }
  }

  /** A fresh birth, then what was held, in order and marked historical; live values wait behind it. */
  private async goLive(): Promise<void> {
    const generation = this.generation;
    this.nodeBirth();
    const held = this.options.held;
    if (held === undefined || held.depth === 0) return;
    this.releasing = true;
    const stillLive = () => this.generation === generation;
    try {
      const sent = await held.release(({ device, samples }) => {
        const metrics = samples.flatMap((sample) => {
          const definition = this.byTagId.get(sample.tagId);
          return definition === undefined ? [] : [dataMetric(definition, sample, true)];
        });
        return metrics.length > 0 ? this.send('DDATA', metrics, device) : Promise.resolve();
      }, stillLive);
      if (stillLive()) this.options.log.info({ broker: this.options.session.name, batches: sent }, 'sparkplug held data sent');
    } catch (error) {
      this.options.log.warn({ broker: this.options.session.name, err: (error as Error).message, held: held.depth }, 'sparkplug held data stopped going out; it stays held');
    } finally {
      if (stillLive()) this.releasing = false;
    }
  }

  private nodeBirth(): void {
    this.seq = 0;
    void this.send('NBIRTH', [
      { name: 'bdSeq', datatype: DataType.Int64, longValue: String(this.bdSeq) },
      { name: REBIRTH, datatype: DataType.Boolean, booleanValue: false },
    ]);
    for (const [name, device] of this.devices) if (device.alive) this.deviceBirth(name, device);
  }

  private deviceBirth(name: string, device: DeviceState): void {
    device.alive = true;
    void this.send('DBIRTH', device.metrics.map((definition) => birthMetric(definition, this.options.latest(definition.tag.id))), name);
  }

  private deathPayload(bdSeq: number): Buffer {
    return encodePayload({ timestamp: Date.now(), metrics: [{ name: 'bdSeq', datatype: DataType.Int64, longValue: String(bdSeq) }] });
  }

  /**
   * Publishes one message with the next `seq` (0–255, in publish order). A failure is logged; the promise
   * (which then rejects) is for held data, which stays held unless it went out.
   */
  private send(type: string, metrics: MetricInput[], device?: string): Promise<void> {
    const seq = this.seq;
    this.seq = (this.seq + 1) % 256;
    const payload = encodePayload({ timestamp: Date.now(), seq, metrics });
    const sent = this.options.session.publish(this.topic(type, device), payload, { qos: 0, retain: false });
    sent.catch((error: unknown) => {
      this.options.log.error({ broker: this.options.session.name, type, device, err: (error as Error).message }, 'sparkplug publish failed');
    });
    return sent;
  }

  private nodeCommand(message: InboundMessage): void {
    const rebirth = this.decode(message)?.metrics.some((metric) => metric.name === REBIRTH && metric.booleanValue === true);
    if (rebirth && this.live) {
      this.options.log.info({ clientId: message.clientId }, 'sparkplug rebirth requested');
      this.nodeBirth();
    }
  }

  private async deviceCommand(message: InboundMessage): Promise<void> {
    const deviceName = message.topic.slice(this.topic('DCMD').length + 1);
    const device = this.devices.get(deviceName);
    const decoded = this.decode(message);
    if (device === undefined || decoded === undefined) return;
    for (const metric of decoded.metrics) {
      const definition = device.metrics.find((candidate) => candidate.name === metric.name || String(candidate.alias) === String(metric.alias));
      const origin = { clientId: message.clientId, remote: message.remote, topic: message.topic };
      if (definition === undefined) {
        this.options.log.warn({ ...origin, metric: metric.name ?? metric.alias }, 'sparkplug DCMD for a metric this device does not have; ignored');
        continue;
      }
      const outcome = await this.options.writes.write(message.principal, definition.tag, commandValue(definition.datatype, metric), origin);
      if (outcome.ok && device.alive && this.live) {
        void this.send('DDATA', [dataMetric(definition, { tagId: definition.tag.id, value: outcome.value, quality: 'good', timestamp: outcome.timestamp })], deviceName);
      }
    }
  }

  private decode(message: InboundMessage): ReturnType<typeof decodePayload> | undefined {
    try {
      return decodePayload(message.payload);
    } catch (error) {
      this.options.log.warn({ clientId: message.clientId, topic: message.topic, err: (error as Error).message }, 'sparkplug command is not a Sparkplug B payload; ignored');
      return undefined;
    }
  }
}
