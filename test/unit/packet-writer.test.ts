import { once } from 'node:events';
import { Writable } from 'node:stream';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeWholePackets } from '../../src/broker/packet-writer.ts';

/** A stream that records each write() it gets, as aedes' connection would see them. */
function recordingStream(): { stream: Writable; writes: Buffer[] } {
  const writes: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      callback();
    },
  });
  const write = stream.write.bind(stream);
  stream.write = ((chunk: Buffer, ...rest: unknown[]) => {
    writes.push(Buffer.from(chunk));
    return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as Writable['write'];
  return { stream, writes };
}

/** mqtt-packet's own encoding of `packet`, the reference. */
const reference = (packet: Packet) => mqttPacket.generate(packet);

const publish = (fields: Partial<Packet & { cmd: 'publish' }>): Packet =>
  ({ cmd: 'publish', topic: 'site/area/asset/tag', payload: Buffer.from('{"v":1}'), qos: 0, retain: false, dup: false, ...fields }) as Packet;

describe('writeWholePackets', () => {
  beforeAll(() => writeWholePackets());

  const cases: Array<[string, Packet]> = [
    ['QoS 0', publish({})],
    ['QoS 1 retained', publish({ qos: 1, messageId: 7, retain: true })],
    ['QoS 2 duplicate', publish({ qos: 2, messageId: 65535, dup: true })],
    ['a multi-byte UTF-8 topic', publish({ topic: 'werk/halle/förderband/°C', qos: 1, messageId: 1 })],
    ['an empty payload', publish({ payload: Buffer.alloc(0) })],
    // Remaining lengths on each side of the variable byte integer's 1/2 and 2/3 byte boundaries.
    ['127 bytes remaining', publish({ topic: 'a', payload: Buffer.alloc(124, 1) })],
    ['128 bytes remaining', publish({ topic: 'a', payload: Buffer.alloc(125, 1) })],
    ['16,383 bytes remaining', publish({ topic: 'a', payload: Buffer.alloc(16_380, 2) })],
    ['16,384 bytes remaining', publish({ topic: 'a', payload: Buffer.alloc(16_381, 2) })],
    ['a 1 MB payload', publish({ qos: 1, messageId: 9, payload: Buffer.alloc(1_000_000, 3) })],
    ['PUBACK', { cmd: 'puback', messageId: 258 } as Packet],
    ['PUBREC', { cmd: 'pubrec', messageId: 1 } as Packet],
    ['PUBREL', { cmd: 'pubrel', messageId: 2 } as Packet],
    ['PUBCOMP', { cmd: 'pubcomp', messageId: 3 } as Packet],
  ];

  it.each(cases)('writes %s byte for byte as mqtt-packet encodes it', (_name, packet) => {
    const { stream, writes } = recordingStream();
    expect(mqttPacket.writeToStream(packet, stream)).toBe(true);
    expect(Buffer.concat(writes).equals(reference(packet))).toBe(true);
  });

  it('writes a packet with a small payload as one write, and a large one as header and payload', () => {
    const small = recordingStream();
    mqttPacket.writeToStream(publish({ qos: 1, messageId: 5 }), small.stream);
    expect(small.writes.length).toBe(1);
    const large = recordingStream();
    const payload = Buffer.alloc(100_000, 4);
    mqttPacket.writeToStream(publish({ qos: 1, messageId: 5, payload }), large.stream);
    expect(large.writes.length).toBe(2);
    expect(large.writes[1]?.equals(payload)).toBe(true);
  });

  it('leaves other packets, string payloads and calls with options to mqtt-packet', () => {
    const others: Packet[] = [
      { cmd: 'connack', returnCode: 0, sessionPresent: false } as Packet,
      { cmd: 'suback', messageId: 4, granted: [1, 128] } as Packet,
      { cmd: 'pingresp' } as Packet,
      publish({ payload: 'text' as unknown as Buffer }),
    ];
    for (const packet of others) {
      const { stream, writes } = recordingStream();
      mqttPacket.writeToStream(packet, stream);
      expect(Buffer.concat(writes).equals(reference(packet))).toBe(true);
    }
    // MQTT.js passes its options: mqtt-packet's writer writes the fixed header on its own.
    const { stream, writes } = recordingStream();
    mqttPacket.writeToStream(publish({ qos: 1, messageId: 5 }), stream, { protocolVersion: 4 });
    expect(writes.length).toBeGreaterThan(1);
  });

  it('refuses a QoS 1 PUBLISH without a message id as mqtt-packet does: the stream fails, nothing is written', async () => {
    const { stream, writes } = recordingStream();
    const failed = once(stream, 'error');
    expect(mqttPacket.writeToStream(publish({ qos: 1 }), stream)).toBe(false);
    const [error] = (await failed) as [Error];
    expect(error.message).toBe('Invalid messageId');
    expect(writes).toEqual([]);
  });
});
