import type { DeviceConfig } from '../schemas/mapping.ts';
import { ErrorCodes } from '../shared/errors.ts';
import { connectionView } from './connection-view.ts';
import { ConnectorError } from './errors.ts';
import type { ProtocolDescriptor } from './protocol.ts';
import { tagId, type Connector, type ConnectorContext, type SampleValue, type WriteRequest } from './sdk.ts';

interface Connection {
  devices: DeviceConfig[];
  view: string;
  connector: Connector;
  tagIds: ReadonlySet<string>;
}

/**
 * The connectors of one worker, one per connection (`ProtocolDescriptor.connection`), so that a reload
 * restarts only the connections whose settings changed: the others keep polling, on the same socket.
 * Reconfigurations run one after the other.
 */
export class ConnectionSet {
  private readonly connections = new Map<string, Connection>();
  private queue: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly descriptor: ProtocolDescriptor<DeviceConfig>,
    private readonly context: ConnectorContext,
  ) {}

  /** Makes the running connections those of `devices`; resolves with the devices (re)started. */
  configure(devices: readonly DeviceConfig[]): Promise<string[]> {
    const next = this.queue.then(() => this.apply(devices));
    this.queue = next.catch(() => undefined);
    return next;
  }

  write(request: WriteRequest): Promise<{ value: SampleValue; timestamp: number }> {
    for (const connection of this.connections.values()) {
      if (connection.tagIds.has(request.tagId)) return connection.connector.write(request);
    }
    return Promise.reject(new ConnectorError(ErrorCodes.WRITE_INVALID, `no tag ${request.tagId}`));
  }

  stop(): Promise<void> {
    const next = this.queue.then(async () => {
      this.stopped = true;
      await Promise.all([...this.connections.values()].map((connection) => connection.connector.stop()));
      this.connections.clear();
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async apply(devices: readonly DeviceConfig[]): Promise<string[]> {
    if (this.stopped) return [];
    const wanted = new Map<string, DeviceConfig[]>();
    for (const device of devices) {
      const key = this.descriptor.connection?.(device) ?? `device:${device.name}`;
      wanted.set(key, [...(wanted.get(key) ?? []), device]);
    }
    const views = new Map([...wanted].map(([key, group]) => [key, connectionView(group, this.descriptor.sourceTagKeys)]));
    const gone = [...this.connections].filter(([key, connection]) => views.get(key) !== connection.view);
    await Promise.all(gone.map(([, connection]) => connection.connector.stop()));
    for (const [key] of gone) this.connections.delete(key);
    const fresh: Connection[] = [];
    for (const [key, group] of wanted) {
      if (this.connections.has(key)) continue;
      const connector = await this.descriptor.createConnector(group, this.context.log);
      const tagIds = new Set(group.flatMap((device) => device.tags.map((tag) => tagId(device.name, tag.name))));
      const connection = { devices: group, view: views.get(key) ?? '', connector, tagIds };
      this.connections.set(key, connection);
      fresh.push(connection);
    }
    await Promise.all(fresh.map((connection) => connection.connector.start(this.context)));
    const started = fresh.flatMap((connection) => connection.devices.map((device) => device.name));
    return started;
  }
}
