import type { Client } from 'aedes';
import { ACK_FIRST_BYTES, type AckCommand } from './ack-bytes.ts';
import { isMalformedString, type PacketLimits } from './packet-guard.ts';

/** mqtt-packet's parser, as aedes keeps one per client: what the reader needs of it. */
interface Parser {
  error: Error | null;
  /** 0 between packets: mqtt-packet parses on while it has bytes, so it then holds none. */
  _stateCounter: number;
  parse(chunk: Buffer): number;
  emit(event: 'packet', packet: HotPacket): boolean;
}

interface ClientInternals {
  _parser: Parser;
  connackSent?: boolean;
}

/** The fields mqtt-packet gives these packets, in its order. */
interface HotPacket {
  cmd: HotCommand;
  retain: boolean;
  qos: number;
  dup: boolean;
  length: number;
  topic: string | null;
  payload: Buffer | null;
  messageId?: number;
  malformedString?: boolean;
}

type HotCommand = 'publish' | AckCommand | 'pingreq';

const PINGREQ = 0xc0;
/**
 * The packet each first byte starts, for the ones the reader takes; undefined for the others, which go to
 * mqtt-packet: other packet types, acknowledgements with other flags, and a PUBLISH with both QoS bits
 * set, which it refuses from that byte alone, before its body comes.
 */
const HOT_COMMANDS: ReadonlyArray<HotCommand | undefined> = Array.from({ length: 256 }, (_, first) => {
  if (first >> 4 === 3) return (first & 0x06) === 0x06 ? undefined : 'publish';
  if (first === PINGREQ) return 'pingreq';
  return (Object.keys(ACK_FIRST_BYTES) as AckCommand[]).find((cmd) => ACK_FIRST_BYTES[cmd] === first);
});

/** A frame whose end has not arrived. */
const INCOMPLETE = -1;
/** A frame the reader leaves to mqtt-packet. */
const NOT_HOT = -2;

function publishPacket(data: Buffer, first: number, start: number, end: number): HotPacket | undefined {
  const qos = (first >> 1) & 3;
  if (end - start < 2) return undefined;
  const topicStart = start + 2;
  const topicEnd = topicStart + ((data[start]! << 8) | data[start + 1]!);
  const idEnd = qos > 0 ? topicEnd + 2 : topicEnd;
  if (idEnd > end) return undefined;
  const topic = data.toString('utf8', topicStart, topicEnd);
  const packet: HotPacket = {
    cmd: 'publish',
    retain: (first & 1) !== 0,
    qos,
    dup: (first & 8) !== 0,
    length: end - start,
    topic,
    payload: data.subarray(idEnd, end),
  };
  if (qos > 0) packet.messageId = (data[topicEnd]! << 8) | data[topicEnd + 1]!;
  if (isMalformedString(topic, () => data.subarray(topicStart, topicEnd))) packet.malformedString = true;
  return packet;
}

/** A hot packet's frame: its command and first byte, where its body starts, and where it ends (which may be past the data so far). */
interface Frame {
  cmd: HotCommand;
  first: number;
  bodyStart: number;
  end: number;
}

function hotPacket(data: Buffer, { cmd, first, bodyStart, end }: Frame): HotPacket | undefined {
  if (cmd === 'publish') return publishPacket(data, first, bodyStart, end);
  const length = end - bodyStart;
  if (cmd === 'pingreq') return length === 0 ? { cmd, retain: false, qos: 0, dup: false, length, topic: null, payload: null } : undefined;
  if (length !== 2) return undefined;
  const messageId = (data[bodyStart]! << 8) | data[bodyStart + 1]!;
  return { cmd, retain: false, qos: (first >> 1) & 3, dup: false, length, topic: null, payload: null, messageId };
}

/**
 * Reads the fixed header at `at` into `frame`: true when it is a hot packet's header within `limit`, whose
 * body may not have arrived yet; INCOMPLETE when the header itself has not; NOT_HOT for anything
 * mqtt-packet must parse (other packet types, a length over the limit or malformed).
 */
function readHeader(data: Buffer, at: number, limit: number, frame: Frame): true | typeof INCOMPLETE | typeof NOT_HOT {
  const first = data[at]!;
  const cmd = HOT_COMMANDS[first];
  if (cmd === undefined) return NOT_HOT;
  let remaining = 0;
  let factor = 1;
  let pos = at + 1;
  for (let i = 0; ; i++) {
    if (i === 4) return NOT_HOT;
    if (pos >= data.length) return INCOMPLETE;
    const byte = data[pos++]!;
    remaining += (byte & 0x7f) * factor;
    factor *= 0x80;
    if ((byte & 0x80) === 0) break;
  }
  if (remaining > limit) return NOT_HOT;
  frame.cmd = cmd;
  frame.first = first;
  frame.bodyStart = pos;
  frame.end = pos + remaining;
  return true;
}

/**
 * Makes a connected client's PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP and PINGREQ parsed straight from the
 * socket's buffer, and leaves every other packet to mqtt-packet's parser (which aedes keeps per client),
 * with the guards packet-guard.ts put on it. Those packets are nearly all a busy client sends, and
 * mqtt-packet spends about 2 µs on each (a buffer list, a state machine, a debug call per step): a QoS 1
 * round trip through the broker has two of them.
 *
 * The packets are the objects mqtt-packet makes, and they go to the same 'packet' listeners, so the
 * guard's checks and aedes' flow control apply unchanged. The reader takes over only after CONNACK and
 * while mqtt-packet holds no part of a packet; anything it does not take whole (other packets, wrong flags,
 * a length over `maxPacketBytes`, a topic or id past the packet's end) goes to mqtt-packet from that byte
 * on, which refuses what it refused before. A hot packet split across reads waits in its chunks until it is
 * whole, and is then joined once.
 */
export function readHotPackets(client: Client, limits: PacketLimits): void {
  const internals = client as unknown as ClientInternals;
  const parser = internals._parser;
  const parseWithMqttPacket = parser.parse;
  const waiting: Buffer[] = [];
  let waitingBytes = 0;
  /** Bytes the waiting frame needs in all, or 0 while its length has not arrived. */
  let waitingFor = 0;

  const frame: Frame = { cmd: 'publish', first: 0, bodyStart: 0, end: 0 };
  const idle = () => parser.error === null && parser._stateCounter === 0;

  parser.parse = function readPackets(this: Parser, chunk: Buffer): number {
    if (waiting.length > 0) {
      waiting.push(chunk);
      waitingBytes += chunk.length;
      if (waitingBytes < waitingFor) return waitingBytes;
      chunk = Buffer.concat(waiting, waitingBytes);
      waiting.length = 0;
      waitingBytes = 0;
      waitingFor = 0;
    }
    if (!internals.connackSent || !idle()) return parseWithMqttPacket.call(this, chunk);
    let at = 0;
    while (at < chunk.length) {
      const header = readHeader(chunk, at, limits.maxPacketBytes, frame);
      if (header === NOT_HOT) break;
      if (header === INCOMPLETE || frame.end > chunk.length) {
        waiting.push(chunk.subarray(at));
        waitingBytes = chunk.length - at;
        waitingFor = header === INCOMPLETE ? 0 : frame.end - at;
        return waitingBytes;
      }
      const packet = hotPacket(chunk, frame);
      if (packet === undefined) break;
      at = frame.end;
      this.emit('packet', packet);
      if (this.error !== null) return chunk.length - at;
    }
    return at < chunk.length ? parseWithMqttPacket.call(this, chunk.subarray(at)) : 0;
  };
}
