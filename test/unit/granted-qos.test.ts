import { describe, expect, it } from 'vitest';
import { GrantedFilters, queuedQos } from '../../src/broker/granted-qos.ts';

const subscriptions = { '#': { qos: 0 }, 'plant/+/speed': { qos: 1 }, 'plant/line1/#': { qos: 2 }, '$SYS/#': { qos: 1 } };

describe('the QoS granted to a topic', () => {
  it('is the highest among the filters that match it', () => {
    const granted = new GrantedFilters(subscriptions);
    expect(['plant/line1/speed', 'plant/line2/speed', 'plant/line2/temp', 'other'].map((topic) => granted.highest(topic))).toEqual([2, 1, 0, 0]);
  });

  it('leaves $ topics to filters that do not start with a wildcard [MQTT-4.7.2-1]', () => {
    expect(new GrantedFilters(subscriptions).highest('$SYS/broker/uptime')).toBe(1);
    expect(new GrantedFilters(subscriptions, ['#', '+/broker/uptime']).highest('$SYS/broker/uptime')).toBeUndefined();
  });

  it('counts only the filters it was given, and none that the client does not hold', () => {
    const granted = new GrantedFilters(subscriptions, ['plant/+/speed', 'not/held']);
    expect([granted.highest('plant/line1/speed'), granted.highest('plant/line1/temp'), granted.highest('not/held')]).toEqual([1, undefined, undefined]);
  });
});

describe('the QoS a persistent session\'s queued copy goes at [MQTT-3.8.4-6]', () => {
  const subs = [
    { clientId: 'at1', qos: 1 },
    // Two filters of one session match: the higher grant decides.
    { clientId: 'both', qos: 2 },
    { clientId: 'both', qos: 1 },
    { clientId: 'at2', qos: 2 },
    // A caller that gives no QoS: the message's.
    { clientId: 'unknown' },
  ];

  it('is the highest grant among the session\'s matching filters, never above the message', () => {
    expect(Object.fromEntries(queuedQos(subs, 2))).toEqual({ at1: 1, both: 2, at2: 2, unknown: 2 });
    expect(Object.fromEntries(queuedQos(subs, 1))).toEqual({ at1: 1, both: 1, at2: 1, unknown: 1 });
  });
});
