import type { MessageBus } from './message-bus.ts';
import type { DeviceState } from '../../connectors/sdk.ts';
import type { WireError } from '../../shared/errors.ts';
import { deviceStatusTopic, gatewayStatusTopic } from './topic.ts';

/** Retained JSON on `_gateway/<id>/devices/<device>/status`. */
export interface DeviceStatus {
  /** What the connector reports, or `stopped`: the gateway stopped cleanly, nothing is read. */
  state: DeviceState | 'stopped';
  timestamp: number;
  error?: WireError;
}

/** Publishes the gateway's own retained status topics. */
export class StatusPublisher {
  constructor(
    private readonly broker: MessageBus,
    private readonly gatewayId: string,
  ) {}

  gateway(state: 'online' | 'offline'): Promise<void> {
    return this.broker.publish(gatewayStatusTopic(this.gatewayId), state, { qos: 1, retain: true });
  }

  /** Clears the retained status of a device no longer mapped. */
  removeDevice(device: string): Promise<void> {
    return this.broker.publish(deviceStatusTopic(this.gatewayId, device), '', { qos: 1, retain: true });
  }

  device(device: string, status: DeviceStatus): Promise<void> {
    return this.broker.publish(deviceStatusTopic(this.gatewayId, device), JSON.stringify(status), {
      qos: 1,
      retain: true,
    });
  }
}
