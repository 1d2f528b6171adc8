import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Sample } from '../../connectors/sdk.ts';
import type { Broker } from '../../src/broker/broker.ts';
import { ErrorCodes } from '../../shared/errors.ts';
import { createLogger } from '../../src/log.ts';
import type { NamespaceTag } from '../../src/uns/namespace.ts';
import { NamespacePublisher } from '../../src/uns/publisher.ts';

type TagOptions = Partial<NamespaceTag['config']>;

function tag(name: string, options: TagOptions = {}): NamespaceTag {
  const config = { name, register: 'holding', address: 0, dataType: 'float32', byteOrder: 'ABCD', scale: 1, offset: 0, pollGroup: 'default', writable: false, writeMultiple: false, ...options } as NamespaceTag['config'];
  return { id: `plc/${name}`, device: 'plc', protocol: 'modbus', topic: `p/a/b/${name}`, qos: 1, unit: 'bar', config };
}

/** Records what the publisher hands to the broker. */
function recorder() {
  const sent: Array<{ topic: string; payload: Record<string, unknown>; retain: boolean }> = [];
  const broker = {
    send: (topic: string, payload: string | Buffer, options: { retain: boolean }, done: () => void) => {
      sent.push({ topic, payload: JSON.parse(payload.toString()) as Record<string, unknown>, retain: options.retain });
      setImmediate(done);
    },
  } as unknown as Broker;
  return { broker, sent };
}

const good = (name: string, value: Sample['value'], timestamp = 1000): Sample => ({ tagId: `plc/${name}`, value, quality: 'good', timestamp });
const bad = (name: string, status: string, timestamp = 2000): Sample => ({ tagId: `plc/${name}`, value: null, quality: 'bad', status, timestamp });
const log = createLogger('silent');


describe('report by exception', () => {
  it('publishes the first value, then only moves beyond an absolute deadband', () => {
    const { broker, sent } = recorder();
    const publisher = new NamespacePublisher([tag('p', { deadband: { absolute: 0.5 } })], () => undefined, broker, log);
    publisher.onSamples([good('p', 10), good('p', 10.4), good('p', 9.6), good('p', 10.6), good('p', 10.2)]);
    expect(sent.map((s) => s.payload.value)).toEqual([10, 10.6]);
    expect(sent[0]).toEqual({ topic: 'p/a/b/p', retain: true, payload: { value: 10, timestamp: 1000, quality: 'good', unit: 'bar' } });
  });

  it('measures a percent deadband against the last published value', () => {
    const { broker, sent } = recorder();
    const publisher = new NamespacePublisher([tag('p', { deadband: { percent: 10 } })], () => undefined, broker, log);
    publisher.onSamples([good('p', 100), good('p', 109), good('p', 111), good('p', 121), good('p', 123)]);
    expect(sent.map((s) => s.payload.value)).toEqual([100, 111, 123]);
  });

  it('publishes every change without a deadband, and nothing when the value repeats', () => {
    const { broker, sent } = recorder();
    const publisher = new NamespacePublisher([tag('s', { dataType: 'string' })], () => undefined, broker, log);
    publisher.onSamples([good('s', 'A'), good('s', 'A'), good('s', 'B'), good('s', 'B')]);
    expect(sent.map((s) => s.payload.value)).toEqual(['A', 'B']);
  });

  it('switches to bad once, keeping the last good value, and back to good once', () => {
    const { broker, sent } = recorder();
    const publisher = new NamespacePublisher([tag('p')], () => undefined, broker, log);
    publisher.onSamples([good('p', 4.2), bad('p', 'UNS_ERR_MODBUS_TIMEOUT'), bad('p', 'UNS_ERR_MODBUS_TIMEOUT'), bad('p', 'UNS_ERR_MODBUS_TIMEOUT')]);
    publisher.onSamples([bad('p', 'UNS_ERR_MODBUS_CONNECTION'), bad('p', 'UNS_ERR_MODBUS_CONNECTION'), good('p', 4.2, 3000), good('p', 4.2, 4000)]);
    expect(sent.map((s) => s.payload)).toEqual([
      { value: 4.2, timestamp: 1000, quality: 'good', unit: 'bar' },
      { value: 4.2, timestamp: 2000, quality: 'bad', status: 'UNS_ERR_MODBUS_TIMEOUT', unit: 'bar' },
      { value: 4.2, timestamp: 2000, quality: 'bad', status: 'UNS_ERR_MODBUS_CONNECTION', unit: 'bar' },
      { value: 4.2, timestamp: 3000, quality: 'good', unit: 'bar' },
    ]);
  });

  it('keeps the value retained before a restart when the device is still down', () => {
    const { broker, sent } = recorder();
    const publisher = new NamespacePublisher([tag('p')], () => undefined, broker, log);
    publisher.seed('plc/p', JSON.stringify({ value: 3.5, timestamp: 1, quality: 'good', unit: 'bar' }));
    publisher.onSamples([bad('p', 'UNS_ERR_MODBUS_CONNECTION'), good('p', 3.5, 5000)]);
    expect(sent.map((s) => [s.payload.value, s.payload.quality])).toEqual([
      [3.5, 'bad'],
      [3.5, 'good'],
    ]);
  });

  it('publishes the first reading after a restart even when it equals the retained value (fresh timestamp)', () => {
    const { broker, sent } = recorder();
    const publisher = new NamespacePublisher([tag('p')], () => undefined, broker, log);
    publisher.seed('plc/p', JSON.stringify({ value: 3.5, timestamp: 1, quality: 'good' }));
    publisher.onSamples([good('p', 3.5, 9000), good('p', 3.5, 9500)]);
    expect(sent.map((s) => s.payload.timestamp)).toEqual([9000]);
  });

  it('publishes the first reading after a restart even when the retained value was already bad the same way', () => {
    const { broker, sent } = recorder();
    const publisher = new NamespacePublisher([tag('p')], () => undefined, broker, log);
    publisher.seed('plc/p', JSON.stringify({ value: 3.5, timestamp: 1, quality: 'bad', status: 'UNS_ERR_MODBUS_CONNECTION', unit: 'bar' }));
    publisher.onSamples([bad('p', 'UNS_ERR_MODBUS_CONNECTION', 9000), bad('p', 'UNS_ERR_MODBUS_CONNECTION', 9500)]);
    expect(sent.map((s) => s.payload)).toEqual([{ value: 3.5, timestamp: 9000, quality: 'bad', status: 'UNS_ERR_MODBUS_CONNECTION', unit: 'bar' }]);
  });

  it('publishes changes of an uncertain value too', () => {
    const { broker, sent } = recorder();
    const publisher = new NamespacePublisher([tag('p')], () => undefined, broker, log);
    const uncertain = (value: number) => ({ tagId: 'plc/p', value, quality: 'uncertain' as const, status: 'UncertainLastUsableValue', timestamp: 1 });
    publisher.onSamples([uncertain(10), uncertain(10), uncertain(55)]);
    expect(sent.map((s) => [s.payload.value, s.payload.quality])).toEqual([
      [10, 'uncertain'],
      [55, 'uncertain'],
    ]);
  });

  it('publishes null when there has never been a good value', () => {
    const { broker, sent } = recorder();
    new NamespacePublisher([tag('p')], () => undefined, broker, log).onSamples([bad('p', 'UNS_ERR_MODBUS_TIMEOUT')]);
    expect(sent[0]?.payload).toEqual({ value: null, timestamp: 2000, quality: 'bad', status: 'UNS_ERR_MODBUS_TIMEOUT', unit: 'bar' });
  });
});

describe('heartbeat', () => {
  beforeEach(() => vi.useFakeTimers({ now: 10_000 }));
  afterEach(() => vi.useRealTimers());

  it('republishes an unchanged value every heartbeat, and not without one', () => {
    const { broker, sent } = recorder();
    const publisher = new NamespacePublisher([tag('p'), tag('q')], (t) => (t.config.name === 'p' ? 5 : undefined), broker, log);
    publisher.onSamples([good('p', 1, 10_000), good('q', 1, 10_000)]);
    vi.advanceTimersByTime(4000);
    publisher.onSamples([good('p', 1, 14_000), good('q', 1, 14_000)]);
    expect(sent).toHaveLength(2);
    vi.advanceTimersByTime(1000);
    expect(sent.map((s) => [s.topic, s.payload.timestamp])).toEqual([
      ['p/a/b/p', 10_000],
      ['p/a/b/q', 10_000],
      ['p/a/b/p', 15_000],
    ]);
    vi.advanceTimersByTime(5000);
    expect(sent.filter((s) => s.topic === 'p/a/b/p')).toHaveLength(3);
    publisher.stop();
  });
});

describe('backpressure', () => {
  it('keeps at most maxInFlight publishes in the broker and, meanwhile, only the latest value of each tag', async () => {
    const released: Array<() => void> = [];
    const sent: Array<{ topic: string; value: unknown }> = [];
    const broker = {
      send: (topic: string, payload: string, _options: unknown, done: () => void) => {
        sent.push({ topic, value: (JSON.parse(payload) as { value: unknown }).value });
        released.push(done);
      },
    } as unknown as Broker;
    const publisher = new NamespacePublisher([tag('a'), tag('b')], () => undefined, broker, log, 2);
    publisher.onSamples([good('a', 1), good('b', 1), good('a', 2), good('a', 3), good('b', 2), good('a', 4)]);
    expect(sent.map((s) => `${s.topic.at(-1)}${String(s.value)}`)).toEqual(['a1', 'b1']);
    expect(publisher.conflated).toBe(2);
    for (const release of released.splice(0)) release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent.map((s) => `${s.topic.at(-1)}${String(s.value)}`)).toEqual(['a1', 'b1', 'b2', 'a4']);
  });

  it('never lets a new value overtake an older one of its tag that still waits (window of 4)', async () => {
    const released: Array<() => void> = [];
    const sent: string[] = [];
    const broker = {
      send: (topic: string, payload: string, _options: unknown, done: () => void) => {
        sent.push(`${topic.split('/').at(-1)}${String((JSON.parse(payload) as { value: unknown }).value)}`);
        released.push(done);
      },
    } as unknown as Broker;
    const publisher = new NamespacePublisher(['a', 'b', 'c', 'd', 'x'].map((name) => tag(name)), () => undefined, broker, log, 4);
    publisher.onSamples([good('a', 1), good('b', 1), good('c', 1), good('d', 1), good('x', 1)]);
    expect(sent).toEqual(['a1', 'b1', 'c1', 'd1']);
    released.shift()?.();
    // 3 in flight, x1 still waits: x2 must take its place, not go out ahead of it.
    publisher.onSamples([good('x', 2)]);
    expect(sent).toEqual(['a1', 'b1', 'c1', 'd1']);
    released.shift()?.();
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toEqual(['a1', 'b1', 'c1', 'd1', 'x2']);
    expect(publisher.conflated).toBe(1);
  });

  it('sends one window per turn of the event loop when the broker finishes publishes within microtasks', async () => {
    const sent: string[] = [];
    const broker = {
      send: (topic: string, _payload: string, _options: unknown, done: () => void) => {
        sent.push(topic.split('/').at(-1) ?? '');
        queueMicrotask(done);
      },
    } as unknown as Broker;
    const names = Array.from({ length: 10 }, (_, i) => `t${i}`);
    const publisher = new NamespacePublisher(names.map((name) => tag(name)), () => undefined, broker, log, 4);
    publisher.onSamples(names.map((name) => good(name, 1)));
    // Every publish of the first window is finished within these microtasks: the next window still waits for a turn.
    for (let i = 0; i < 20; i++) await Promise.resolve();
    expect(sent).toHaveLength(4);
    await new Promise((resolve) => setImmediate(resolve));
    for (let i = 0; i < 20; i++) await Promise.resolve();
    expect(sent).toHaveLength(8);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(sent).toEqual(names);
  });
});


describe('a clean stop', () => {
  const stopped = (value: unknown, timestamp: number, unit = 'bar') => ({ value, timestamp, quality: 'uncertain', status: ErrorCodes.GATEWAY_STOPPED, unit });

  it('republishes every value it holds as uncertain with UNS_ERR_GATEWAY_STOPPED, value and timestamp kept; bad stays bad', async () => {
    const { broker, sent } = recorder();
    const publisher = new NamespacePublisher(['g', 'u', 'b', 'never', 'seeded', 'held', 'gone'].map((name) => tag(name)), () => undefined, broker, log);
    publisher.seed('plc/seeded', JSON.stringify({ value: 7, timestamp: 50, quality: 'uncertain', status: ErrorCodes.VALUE_STALE, unit: 'bar' }));
    publisher.seed('plc/held', JSON.stringify({ value: 8, timestamp: 60, quality: 'uncertain', status: ErrorCodes.GATEWAY_STOPPED, unit: 'bar' }));
    publisher.seed('plc/gone', JSON.stringify({ value: 9, timestamp: 70, quality: 'bad', status: 'UNS_ERR_MODBUS_CONNECTION', unit: 'bar' }));
    publisher.onSamples([
      good('g', 4.25, 1000),
      { tagId: 'plc/u', value: 10, quality: 'uncertain', status: 'UncertainLastUsableValue', timestamp: 1100 },
      good('b', 3, 900),
      bad('b', 'UNS_ERR_MODBUS_TIMEOUT', 1200),
    ]);
    const before = sent.length;
    await publisher.markStopped(5000);
    expect(sent.slice(before).map((s) => [s.topic, s.payload, s.retain])).toEqual([
      ['p/a/b/g', stopped(4.25, 1000), true],
      ['p/a/b/u', stopped(10, 1100), true],
      ['p/a/b/seeded', stopped(7, 50), true],
    ]);
  });

  it('keeps every digit of a 64-bit value and the unit the device reported', async () => {
    const { broker, sent } = recorder();
    const raw: string[] = [];
    const send = broker.send.bind(broker);
    broker.send = (topic, payload, options, done) => {
      raw.push(payload.toString());
      send(topic, payload, options, done);
    };
    const unitless = { ...tag('e', { dataType: 'int64' }), unit: undefined };
    const publisher = new NamespacePublisher([unitless], () => undefined, broker, log);
    publisher.onSamples([{ tagId: 'plc/e', value: 9007199254740993n, quality: 'good', timestamp: 5, unit: 'kWh' }]);
    await publisher.markStopped(5000);
    expect(sent).toHaveLength(2);
    expect(raw.at(-1)).toBe(`{"value":9007199254740993,"timestamp":5,"quality":"uncertain","status":"${ErrorCodes.GATEWAY_STOPPED}","unit":"kWh"}`);
  });

  it('marks 10,000 tags and resolves only once the broker has routed every publish', async () => {
    const tags = Array.from({ length: 10_000 }, (_, i) => tag(`t${i}`));
    let routed = 0;
    const last = new Map<string, Record<string, unknown>>();
    let sentCount = 0;
    const broker = {
      send: (topic: string, payload: string, _options: unknown, done: () => void) => {
        sentCount++;
        last.set(topic, JSON.parse(payload) as Record<string, unknown>);
        setImmediate(() => {
          routed++;
          done();
        });
      },
    } as unknown as Broker;
    const publisher = new NamespacePublisher(tags, () => undefined, broker, log);
    publisher.onSamples(tags.map((t, i) => good(t.config.name, i, 1000 + i)));
    await publisher.markStopped(5000);
    expect(routed).toBe(sentCount);
    expect(last.size).toBe(10_000);
    expect([...last.values()].filter((payload, i) => JSON.stringify(payload) === JSON.stringify(stopped(i, 1000 + i)))).toHaveLength(10_000);
  });
});
