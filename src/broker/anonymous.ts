import { isIPv4 } from 'node:net';
import type { GatewayConfig, ListenerConfig } from '../../schemas/gateway.ts';

/** Whether `host` is a loopback address (127.0.0.0/8, ::1, localhost): reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost' || host === '::1' || host === '[::1]') return true;
  return isIPv4(host) && host.startsWith('127.');
}

/** Whether clients without a username may connect on `listener`: only on loopback ones, unless it says otherwise. */
export function listenerAcceptsAnonymous(listener: ListenerConfig, access: GatewayConfig['access']): boolean {
  return access.allowAnonymous && (listener.allowAnonymous ?? isLoopbackHost(listener.host));
}

/** What a start warns about: listeners reachable from the network that accept anonymous clients, or anonymous setpoint writes. */
export function anonymousExposure(config: GatewayConfig): string[] {
  return config.broker.listeners.flatMap((listener, index) => {
    if (isLoopbackHost(listener.host) || !listenerAcceptsAnonymous(listener, config.access)) return [];
    const where = `broker.listeners[${index}] (${listener.protocol} ${listener.host}:${listener.port})`;
    return [
      config.access.anonymousWrite
        ? `${where} accepts anonymous clients, and access.anonymousWrite lets them write setpoints to the PLCs`
        : `${where} accepts anonymous clients from the network`,
    ];
  });
}
