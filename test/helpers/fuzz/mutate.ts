// Damage done to an encoded packet: at the byte level, in the fixed header, and in CONNECT's fields.
import { encodeRemainingLength } from '../raw-mqtt.ts';
import { connectFlagsAt, headerEnd } from './fixed-header.ts';
import type { Random } from './random.ts';

type Mutation = (packet: Buffer, random: Random, another: () => Buffer) => Buffer;

const CONNECT = 1;
const PUBLISH = 3;
/** The largest remaining length the 4-byte encoding can claim (MQTT-2.2.3). */
const MAX_REMAINING_LENGTH = 268_435_455;

function withRemainingLength(packet: Buffer, length: number): Buffer {
  return Buffer.concat([packet.subarray(0, 1), encodeRemainingLength(length), packet.subarray(headerEnd(packet))]);
}

function setByte(packet: Buffer, at: number, value: number): Buffer {
  const copy = Buffer.from(packet);
  if (at < copy.length) copy[at] = value & 0xff;
  return copy;
}

const type = (packet: Buffer) => (packet[0] ?? 0) >> 4;

const MUTATIONS: readonly Mutation[] = [
  function flipBits(packet, random) {
    const copy = Buffer.from(packet);
    for (let n = random.between(1, 4); n > 0 && copy.length > 0; n--) {
      const at = random.int(copy.length);
      copy[at] = (copy[at] ?? 0) ^ (1 << random.int(8));
    }
    return copy;
  },
  function headerFlags(packet, random) {
    return setByte(packet, 0, ((packet[0] ?? 0) & 0xf0) | random.int(16));
  },
  function packetType(packet, random) {
    return setByte(packet, 0, (random.int(16) << 4) | ((packet[0] ?? 0) & 0x0f));
  },
  function qos3(packet) {
    return setByte(packet, 0, ((packet[0] ?? 0) & 0x0f) | (PUBLISH << 4) | 0x06);
  },
  function truncate(packet, random) {
    return packet.subarray(0, random.int(packet.length));
  },
  function wrongRemainingLength(packet, random) {
    const body = packet.length - headerEnd(packet);
    return withRemainingLength(packet, Math.max(0, body + random.pick([-3, -2, -1, 1, 2, 3, 100, -body])));
  },
  function hugeRemainingLength(packet, random) {
    return withRemainingLength(packet, random.pick([MAX_REMAINING_LENGTH, 2_097_152, 16_777_216, 65_536]));
  },
  function fiveByteRemainingLength(packet) {
    return Buffer.concat([packet.subarray(0, 1), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x01]), packet.subarray(headerEnd(packet))]);
  },
  function stringLengthLie(packet, random) {
    const at = headerEnd(packet) + (type(packet) === CONNECT ? 10 : 0);
    const lie = random.pick([0, 1, 0xffff, random.int(0x10000)]);
    return setByte(setByte(packet, at, lie >> 8), at + 1, lie);
  },
  function insertBytes(packet, random) {
    const at = random.int(packet.length + 1);
    return Buffer.concat([packet.subarray(0, at), random.bytes(random.between(1, 16)), packet.subarray(at)]);
  },
  function deleteBytes(packet, random) {
    const at = random.int(packet.length);
    return Buffer.concat([packet.subarray(0, at), packet.subarray(at + random.between(1, 8))]);
  },
  function overwriteBytes(packet, random) {
    const copy = Buffer.from(packet);
    for (let n = random.between(1, 4); n > 0 && copy.length > 0; n--) copy[random.int(copy.length)] = random.pick([0x00, 0xff, 0x80, 0x7f, random.int(256)]);
    return copy;
  },
  function duplicate(packet) {
    return Buffer.concat([packet, packet]);
  },
  function splice(packet, random, another) {
    const other = another();
    return Buffer.concat([packet.subarray(0, random.int(packet.length + 1)), other.subarray(random.int(other.length + 1))]);
  },
  function appendGarbage(packet, random) {
    return Buffer.concat([packet, random.bytes(random.between(1, 64))]);
  },
  function zeroRemainingLength(packet) {
    return withRemainingLength(packet, 0);
  },
  function connectFlags(packet, random) {
    if (type(packet) !== CONNECT) return setByte(packet, 0, (CONNECT << 4) | ((packet[0] ?? 0) & 0x0f));
    const flags = random.pick([0x04, 0x0c, 0x14, 0x18, 0x1c, 0x20, 0x01, 0x40, 0x80, 0xc4, random.int(256)]);
    return setByte(packet, connectFlagsAt(packet), flags | (random.chance(0.5) ? 0x02 : 0));
  },
  function protocolLevel(packet, random) {
    if (type(packet) !== CONNECT) return packet;
    return setByte(packet, connectFlagsAt(packet) - 1, random.pick([0, 1, 3, 5, 6, 255]));
  },
];

/** One to three mutations in a row; `another` supplies a second packet to splice in. */
export function mutate(packet: Buffer, random: Random, another: () => Buffer): Buffer {
  let result = packet;
  for (let n = random.between(1, 3); n > 0; n--) result = random.pick(MUTATIONS)(result, random, another);
  return result.length > 0 ? result : random.bytes(1);
}
