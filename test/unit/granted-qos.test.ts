import { describe, expect, it } from 'vitest';
import { GrantedFilters } from '../../src/broker/granted-qos.ts';

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
