import { describe, expect, it } from 'vitest';
import { gatewaySchema } from '../../schemas/gateway.ts';
import { clientBufferLimits } from '../../src/broker/slow-subscribers.ts';

const slowSubscriber = (yaml: Record<string, number> = {}) =>
  gatewaySchema.parse({ broker: { listeners: [{ protocol: 'tcp', port: 0 }], slowSubscriber: yaml } }).broker.slowSubscriber;

describe('slow-subscriber limits', () => {
  it('make room for a burst of twice the mapped tags when the message limits are not set', () => {
    expect(clientBufferLimits(slowSubscriber(), 100)).toEqual({ dropQos0Bytes: 4_194_304, dropQos0Messages: 10_000, disconnectBytes: 16_777_216, disconnectMessages: 20_000 });
    expect(clientBufferLimits(slowSubscriber(), 50_000)).toMatchObject({ dropQos0Messages: 100_000, disconnectMessages: 100_000 });
  });

  it('keep the limits a config sets, whatever the namespace', () => {
    expect(clientBufferLimits(slowSubscriber({ dropQos0Messages: 5, disconnectMessages: 7 }), 50_000)).toMatchObject({ dropQos0Messages: 5, disconnectMessages: 7 });
  });
});
