import { Registry } from 'prom-client';
import type { Bridges } from '../bridge/bridges.ts';
import type { Broker } from '../broker/broker.ts';
import type { Store } from '../store/store.ts';
import { bridgeMetrics } from './bridge-metrics.ts';
import { brokerMetrics } from './broker-metrics.ts';
import { DeviceMetrics } from './device-metrics.ts';
import { processMetrics } from './process-metrics.ts';
import { storeMetrics } from './store-metrics.ts';

export interface MeteredParts {
  broker: Broker;
  store: Store | undefined;
  bridges: Bridges | undefined;
}

export interface GatewayMetrics {
  /** One per gateway, not prom-client's global one: a process (a test) may run several gateways. */
  readonly registry: Registry;
  /** Fed by the connectors' events, their read counts and the writes. */
  readonly devices: DeviceMetrics;
}

/** Every metric of one gateway, in its own registry; all of them read what they show when scraped, nothing runs between scrapes. */
export function gatewayMetrics({ broker, store, bridges }: MeteredParts): GatewayMetrics {
  const registry = new Registry();
  const devices = new DeviceMetrics(registry);
  brokerMetrics(registry, broker, store);
  if (store) storeMetrics(registry, store);
  if (bridges) bridgeMetrics(registry, bridges);
  processMetrics(registry);
  return { registry, devices };
}
