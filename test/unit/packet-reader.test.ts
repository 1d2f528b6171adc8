import type { Client } from 'aedes';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { guardClient } from '../../src/broker/packet-guard.ts';
import { readHotPackets } from '../../src/broker/packet-reader.ts';

/**
 * The reader against mqtt-packet's parser, as aedes uses it: both guarded by packet-guard.ts, fed the same
 * bytes in the same chunks. Whatever the split, the reader must emit the same packets and the same
 * errors, in the same order.
 */

const LIMITS = { maxPacketBytes: 4096, maxConnectBytes: 512 };

type Event = ['packet', Record<string, unknown>] | ['error', string];

interface Reading {
  feed(chunk: Buffer): void;
  events: Event[];
  /** How many times mqtt-packet's own parse ran. */
  mqttPacketCalls: () => number;
}

function reading(withReader: boolean, connackSent = true): Reading {
  const parser = mqttPacket.parser();
  const client = { _parser: parser, connackSent };
  const events: Event[] = [];
  let calls = 0;
  const parse = parser.parse;
  parser.parse = function counted(this: typeof parser, chunk: Buffer) {
    calls++;
    return parse.call(this, chunk);
  };
  parser.on('packet', (packet: Packet) => events.push(['packet', { ...packet }]));
  parser.on('error', (error: Error) => events.push(['error', error.message]));
  guardClient(client as unknown as Client, LIMITS);
  if (withReader) readHotPackets(client as unknown as Client, LIMITS);
  return { feed: (chunk) => parser.parse(chunk), events, mqttPacketCalls: () => calls };
}

const gen = (packet: object) => mqttPacket.generate(packet as Packet);
const publish = (fields: object) => gen({ cmd: 'publish', topic: 'site/area/asset/tag', payload: Buffer.from('{"v":1}'), qos: 0, ...fields });
const raw = (...bytes: Array<number | Buffer>) => Buffer.concat(bytes.map((b) => (typeof b === 'number' ? Buffer.from([b]) : b)));

/** A stream with every packet the reader takes and some it leaves to mqtt-packet, between them. */
const MIXED = Buffer.concat([
  publish({}),
  publish({ qos: 1, messageId: 1, retain: true }),
  publish({ qos: 2, messageId: 65535, dup: true, topic: 'werk/halle/förderband/°C' }),
  gen({ cmd: 'puback', messageId: 1 }),
  gen({ cmd: 'pubrec', messageId: 2 }),
  gen({ cmd: 'pubrel', messageId: 3 }),
  gen({ cmd: 'pubcomp', messageId: 4 }),
  gen({ cmd: 'pingreq' }),
  gen({ cmd: 'subscribe', messageId: 5, subscriptions: [{ topic: 'a/#', qos: 1 }] }),
  publish({ payload: Buffer.alloc(0) }),
  publish({ payload: Buffer.alloc(300, 7), qos: 1, messageId: 9 }),
  gen({ cmd: 'unsubscribe', messageId: 6, unsubscriptions: ['a/#'] }),
  publish({ topic: 'x', payload: Buffer.from('last') }),
]);

/** Events up to the first error: on an error aedes closes the connection, and parses nothing more. */
function untilFirstError(events: Event[]): Event[] {
  const error = events.findIndex(([kind]) => kind === 'error');
  return error === -1 ? events : events.slice(0, error + 1);
}

/** Feeds both the same chunks, and compares what they emitted after each one: a packet or an error must not come later either. */
function compare(bytes: Buffer, cuts: number[] = []): { reader: Reading; reference: Reading } {
  const reference = reading(false);
  const reader = reading(true);
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    reference.feed(bytes.subarray(from, cut));
    reader.feed(bytes.subarray(from, cut));
    from = cut;
    expect(untilFirstError(reader.events)).toEqual(untilFirstError(reference.events));
    if (reference.events.some(([kind]) => kind === 'error')) break;
  }
  return { reader, reference };
}

describe('readHotPackets', () => {
  it('emits what mqtt-packet emits for a stream in one chunk, and leaves only the other packets to it', () => {
    const { reader, reference } = compare(MIXED);
    expect(reference.events.map(([kind, packet]) => (kind === 'packet' ? packet.cmd : kind))).toEqual([
      'publish', 'publish', 'publish', 'puback', 'pubrec', 'pubrel', 'pubcomp', 'pingreq', 'subscribe', 'publish', 'publish', 'unsubscribe', 'publish',
    ]);
    // The subscribe goes to mqtt-packet with the rest of its chunk.
    expect(reader.mqttPacketCalls()).toBe(1);
  });

  it('takes over again once mqtt-packet holds no part of a packet', () => {
    // The second part starts with the filter's "0", which is also a PUBLISH's first byte.
    const subscribe = gen({ cmd: 'subscribe', messageId: 5, subscriptions: [{ topic: '0/#', qos: 1 }] });
    const one = publish({ qos: 1, messageId: 1 });
    const reader = reading(true);
    reader.feed(subscribe.subarray(0, 6));
    reader.feed(Buffer.concat([subscribe.subarray(6), one]));
    expect(reader.mqttPacketCalls()).toBe(2);
    reader.feed(one);
    reader.feed(Buffer.concat([subscribe, one]));
    reader.feed(one);
    expect(reader.mqttPacketCalls()).toBe(3);
    expect(reader.events.map(([, packet]) => packet)).toEqual([
      expect.objectContaining({ cmd: 'subscribe' }),
      ...['publish', 'publish', 'subscribe', 'publish', 'publish'].map((cmd) => expect.objectContaining({ cmd })),
    ]);
  });

  it('emits the same whatever the stream is split into: every single cut, and pairs of cuts', () => {
    for (let cut = 1; cut < MIXED.length; cut++) compare(MIXED, [cut]);
    for (let a = 1; a < MIXED.length; a += 7) for (let b = a + 1; b < MIXED.length; b += 5) compare(MIXED, [a, b]);
  });

  it('emits the same when the stream arrives a byte at a time', () => {
    compare(MIXED, Array.from({ length: MIXED.length - 1 }, (_, i) => i + 1));
  });

  it('joins a publish split over many reads once, when its last byte arrives', () => {
    const big = publish({ payload: Buffer.alloc(4000, 3), qos: 1, messageId: 2 });
    const cuts = Array.from({ length: 15 }, (_, i) => (i + 1) * 256);
    const { reader } = compare(Buffer.concat([big, big]), [...cuts, big.length + 100]);
    expect(reader.events.length).toBe(2);
    expect(reader.mqttPacketCalls()).toBe(0);
  });

  it.each([
    ['a PUBLISH with both QoS bits set', raw(0x36, 5, 0, 1, 0x61, 0, 1)],
    ['a PUBACK with flags set', raw(0x41, 2, 0, 1)],
    ['a PUBREL without its required flag', raw(0x60, 2, 0, 1)],
    ['a PUBACK three bytes long', raw(0x40, 3, 0, 1, 0)],
    ['a PUBACK without its packet identifier', raw(0x40, 0)],
    ['a PUBLISH whose topic runs past its end', raw(0x30, 4, 0, 9, 0x61, 0x62)],
    ['a QoS 1 PUBLISH without room for its id', raw(0x32, 4, 0, 1, 0x61, 0)],
    ['a remaining length of five bytes', raw(0x30, 0xff, 0xff, 0xff, 0xff, 0x7f)],
    ['a topic that is not UTF-8', raw(0x30, 6, 0, 4, 0x61, 0x2f, 0xc3, 0x28)],
    ['a topic with U+0000', raw(0x30, 5, 0, 3, 0x61, 0, 0x62)],
    ['a topic holding U+FFFD as UTF-8', raw(0x30, 7, 0, 5, 0x61, 0x2f, 0xef, 0xbf, 0xbd)],
    ['a QoS 1 PUBLISH with packet identifier 0', raw(0x32, 5, 0, 1, 0x61, 0, 0)],
    ['a QoS 0 PUBLISH with DUP set', raw(0x38, 3, 0, 1, 0x61)],
    ['a PUBACK with packet identifier 0', raw(0x40, 2, 0, 0)],
    ['a publish a byte over the limit', publish({ topic: 'a', payload: Buffer.alloc(LIMITS.maxPacketBytes - 2) })],
  ])('%s, after a good publish and before another, gives what mqtt-packet gives', (_name, bad) => {
    const good = publish({ qos: 1, messageId: 3 });
    const bytes = Buffer.concat([good, bad, good]);
    const { reference } = compare(bytes);
    compare(bytes, [good.length]);
    compare(bytes, [good.length + 1]);
    compare(bytes, [good.length + 2]);
    expect(reference.events[0]?.[0]).toBe('packet');
  });

  it('refuses a publish over the limit from its fixed header, before its body arrives', () => {
    const reader = reading(true);
    reader.feed(publish({ qos: 1, messageId: 1 }));
    reader.feed(raw(0x30, 0x81, 0x20));
    expect(reader.events.map(([kind]) => kind)).toEqual(['packet', 'error']);
    expect(reader.events[1]?.[1]).toMatch(/4097 bytes is over 4096/);
  });

  it.each([
    ['alone', raw(0x36)],
    ['with a length', raw(0x37, 0x80, 0x20)],
  ])('refuses a PUBLISH with both QoS bits set from its first byte, %s', (_name, bytes) => {
    const reader = reading(true);
    reader.feed(bytes);
    expect(reader.events).toEqual([['error', 'Packet must not have both QoS bits set to 1']]);
  });

  it('refuses a QoS 1 PUBLISH with no room for its identifier, whether or not bytes follow it', () => {
    const short = raw(0x32, 3, 0, 1, 0x61);
    for (const bytes of [short, Buffer.concat([short, publish({ qos: 1, messageId: 7 })])]) {
      const reader = reading(true);
      reader.feed(bytes);
      expect(reader.events).toEqual([['error', 'publish: a QoS 1 or 2 PUBLISH too short for its packet identifier']]);
    }
  });

  it('takes a publish at the limit', () => {
    const atLimit = publish({ topic: 'a', payload: Buffer.alloc(LIMITS.maxPacketBytes - 3) });
    const { reader } = compare(atLimit, [100]);
    expect(reader.events).toEqual([['packet', expect.objectContaining({ cmd: 'publish', length: LIMITS.maxPacketBytes })]]);
    expect(reader.mqttPacketCalls()).toBe(0);
  });

  it('leaves everything to mqtt-packet until CONNACK is sent', () => {
    const reader = reading(true, false);
    reader.feed(MIXED);
    expect(reader.mqttPacketCalls()).toBe(1);
    expect(reader.events.length).toBe(13);
  });

  it('a payload is the bytes that followed the topic and id, and a view of the read, not a copy', () => {
    const chunk = publish({ qos: 2, messageId: 258, payload: Buffer.from('{"v":42.5}'), retain: true });
    const reader = reading(true);
    reader.feed(chunk);
    const packet = reader.events[0]?.[1] as { payload: Buffer; messageId: number; retain: boolean; qos: number };
    expect(packet.payload.toString()).toBe('{"v":42.5}');
    expect([packet.messageId, packet.retain, packet.qos]).toEqual([258, true, 2]);
    chunk[chunk.length - 2] = 0x30;
    expect(packet.payload.toString()).toBe('{"v":42.0}');
  });
});
