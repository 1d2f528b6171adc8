import type { DeviceStatusReport, Sample } from '../../connectors/sdk.ts';
import type { Logger } from '../log.ts';
import type { NorthboundConsumer } from '../northbound/northbound.ts';
import type { InboundMessage, MessageBus } from '../uns/message-bus.ts';
import type { NamespaceTag } from '../uns/namespace.ts';
import type { WriteService } from '../writes/write-service.ts';
import { decodePayload, encodePayload, type MetricInput } from './codec.ts';
import { commandValue } from './command-value.ts';
import { DataType } from './datatypes.ts';
import type { HeldData } from './held-data.ts';
import { hostIsOnline } from './host-state.ts';
import { birthMetric, dataMetric, learnDataType, metricName, type MetricDefinition } from './metrics.ts';

const NAMESPACE = 'spBv1.0';
const REBIRTH = 'Node Control/Rebirth';

export interface EdgeNodeOptions {
  groupId: string;
  edgeNodeId: string;
  /** The namespace root, taken off metric names. */
  root: string | undefined;
  tags: readonly NamespaceTag[];
  bus: MessageBus;
  latest: (tagId: string) => Sample | undefined;
  writes: WriteService;
  /** This start's birth/death sequence number (0–255), one more than the last start's. */
  bdSeq: number;
  /** Keeps the NDEATH to publish at the next start should the gateway die. */
  will: { put(topic: string, payload: Buffer): void; remove(): void };
  /** The primary host application to wait for, and where data waits while it is offline. */
  primaryHost?: { id: string; held: HeldData; retainedState: Buffer | undefined } | undefined;
  log: Logger;
}

interface DeviceState {
  alive: boolean;
  metrics: MetricDefinition[];
}

/**
 * The gateway as a Sparkplug B edge node on the embedded broker: one Sparkplug device per mapped device,
 * one metric per tag. NBIRTH at start and on a Rebirth command; a device's DBIRTH with every metric when it
 * is first read, DDATA by exception (aliases only), DDEATH when it fails, DBIRTH again when it is back; NDEATH
 * at a clean stop, and at the next start otherwise. DCMD writes go through the write service as the client
 * that sent them.
 */
export class SparkplugEdgeNode implements NorthboundConsumer {
  readonly name = 'sparkplug';
  private seq = 0;
  /** Whether births and data may go out: always without a primary host, else while it says it is online. */
  private hostOnline: boolean;
  private readonly devices = new Map<string, DeviceState>();
  private readonly byTagId = new Map<string, MetricDefinition>();

  constructor(private readonly options: EdgeNodeOptions) {
    const host = options.primaryHost;
    this.hostOnline = host === undefined || (host.retainedState !== undefined && hostIsOnline(host.retainedState) === true);
    options.tags.forEach((tag, index) => {
      const definition: MetricDefinition = { tag, name: metricName(tag, options.root), alias: index + 1, datatype: undefined };
      this.byTagId.set(tag.id, definition);
      let device = this.devices.get(tag.device);
      if (device === undefined) this.devices.set(tag.device, (device = { alive: false, metrics: [] }));
      device.metrics.push(definition);
    });
  }

  topic(type: string, device?: string): string {
    return `${NAMESPACE}/${this.options.groupId}/${type}/${this.options.edgeNodeId}${device === undefined ? '' : `/${device}`}`;
  }

  async start(): Promise<void> {
    const { bus } = this.options;
    await bus.subscribe(this.topic('NCMD'), (message) => this.nodeCommand(message));
    await bus.subscribe(`${this.topic('DCMD')}/+`, (message) => void this.deviceCommand(message));
    this.options.will.put(this.topic('NDEATH'), this.deathPayload());
    const host = this.options.primaryHost;
    if (host !== undefined) {
      await bus.subscribe(`${NAMESPACE}/STATE/${host.id}`, (message) => this.hostState(hostIsOnline(message.payload)));
      if (!this.hostOnline) this.options.log.info({ primaryHost: host.id, held: host.held.depth }, 'sparkplug waits for its primary host; data is held meanwhile');
    }
    if (this.hostOnline) this.nodeBirth();
  }

  async stop(): Promise<void> {
    await this.options.bus.publish(this.topic('NDEATH'), this.deathPayload(), { qos: 1, retain: false });
    this.options.will.remove();
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
      if (!this.hostOnline) {
        if (!device.alive && list.some((sample) => sample.quality === 'good')) device.alive = true;
        if (device.alive) this.options.primaryHost?.held.hold(name, list);
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
    if (this.hostOnline) this.send('DDEATH', [], report.device);
  }

  /** The primary host came online (a fresh birth, then what was held, marked historical) or went offline. */
  private hostState(online: boolean | undefined): void {
    if (online === undefined || online === this.hostOnline) return;
    this.hostOnline = online;
    const host = this.options.primaryHost;
    this.options.log.info({ primaryHost: host?.id, online }, online ? 'sparkplug primary host online: birth, then held data' : 'sparkplug primary host offline: holding data');
    if (!online || host === undefined) return;
    this.nodeBirth();
    host.held.release(({ device, samples }) => {
      const metrics = samples.flatMap((sample) => {
        const definition = this.byTagId.get(sample.tagId);
        return definition === undefined ? [] : [dataMetric(definition, sample, true)];
      });
      if (metrics.length > 0) this.send('DDATA', metrics, device);
    });
  }

  private nodeBirth(): void {
    this.seq = 0;
    this.send('NBIRTH', [
      { name: 'bdSeq', datatype: DataType.Int64, longValue: String(this.options.bdSeq) },
      { name: REBIRTH, datatype: DataType.Boolean, booleanValue: false },
    ]);
    for (const [name, device] of this.devices) if (device.alive) this.deviceBirth(name, device);
  }

  private deviceBirth(name: string, device: DeviceState): void {
    device.alive = true;
    this.send('DBIRTH', device.metrics.map((definition) => birthMetric(definition, this.options.latest(definition.tag.id))), name);
  }

  private deathPayload(): Buffer {
    return encodePayload({ timestamp: Date.now(), metrics: [{ name: 'bdSeq', datatype: DataType.Int64, longValue: String(this.options.bdSeq) }] });
  }

  /** Publishes one message with the next `seq` (0–255, in publish order). */
  private send(type: string, metrics: MetricInput[], device?: string): void {
    const seq = this.seq;
    this.seq = (this.seq + 1) % 256;
    const payload = encodePayload({ timestamp: Date.now(), seq, metrics });
    this.options.bus.publish(this.topic(type, device), payload, { qos: 0, retain: false }).catch((error: unknown) => {
      this.options.log.error({ type, device, err: (error as Error).message }, 'sparkplug publish failed');
    });
  }

  private nodeCommand(message: InboundMessage): void {
    const rebirth = this.decode(message)?.metrics.some((metric) => metric.name === REBIRTH && metric.booleanValue === true);
    if (rebirth && this.hostOnline) {
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
      if (outcome.ok && device.alive && this.hostOnline) {
        this.send('DDATA', [dataMetric(definition, { tagId: definition.tag.id, value: outcome.value, quality: 'good', timestamp: outcome.timestamp })], deviceName);
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
