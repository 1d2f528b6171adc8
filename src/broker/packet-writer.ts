import mqttPacket, { type Packet } from 'mqtt-packet';
import { ACK_FIRST_BYTES } from './ack-bytes.ts';

type WriteToStream = typeof mqttPacket.writeToStream;
type Writable = Parameters<WriteToStream>[1];

const PUBLISH = 0x30;
const ACKS: Readonly<Record<string, number>> = ACK_FIRST_BYTES;
/** Payloads up to this size are copied into the packet's buffer; larger ones go as a second chunk. */
const COPY_LIMIT = 16 * 1024;

interface PublishFields {
  topic: unknown;
  payload: unknown;
  qos?: unknown;
  retain?: unknown;
  dup?: unknown;
  messageId?: unknown;
}

/** Bytes of MQTT's variable byte integer for `n` (n < 268,435,456). */
function varIntBytes(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : 4;
}

function writeVarInt(buffer: Buffer, at: number, n: number): number {
  let rest = n;
  do {
    let byte = rest % 0x80;
    rest = Math.floor(rest / 0x80);
    if (rest > 0) byte |= 0x80;
    buffer[at++] = byte;
  } while (rest > 0);
  return at;
}

/** A QoS 0/1/2 PUBLISH in one buffer (or header and payload for a large one), or undefined for what mqtt-packet must check. */
function encodePublish(packet: PublishFields): Buffer[] | undefined {
  const { topic, payload } = packet;
  const qos = packet.qos ?? 0;
  if (typeof topic !== 'string' || !Buffer.isBuffer(payload) || (qos !== 0 && qos !== 1 && qos !== 2)) return undefined;
  const id = packet.messageId;
  if (qos > 0 && (typeof id !== 'number' || !Number.isInteger(id) || id < 1 || id > 0xffff)) return undefined;
  const topicBytes = Buffer.byteLength(topic);
  if (topicBytes > 0xffff) return undefined;
  const remaining = 2 + topicBytes + (qos > 0 ? 2 : 0) + payload.length;
  if (remaining > 268_435_455) return undefined;
  const header = 1 + varIntBytes(remaining) + remaining - payload.length;
  const copy = payload.length <= COPY_LIMIT;
  const buffer = Buffer.allocUnsafe(copy ? header + payload.length : header);
  buffer[0] = PUBLISH | (packet.dup === true ? 0x08 : 0) | (qos << 1) | (packet.retain === true ? 0x01 : 0);
  let at = writeVarInt(buffer, 1, remaining);
  buffer.writeUInt16BE(topicBytes, at);
  at += 2;
  at += buffer.write(topic, at, topicBytes, 'utf8');
  if (qos > 0) {
    buffer.writeUInt16BE(id as number, at);
    at += 2;
  }
  if (!copy) return [buffer, payload];
  payload.copy(buffer, at);
  return [buffer];
}

function encodeAck(first: number, messageId: unknown): Buffer[] | undefined {
  if (typeof messageId !== 'number' || !Number.isInteger(messageId) || messageId < 0 || messageId > 0xffff) return undefined;
  const buffer = Buffer.allocUnsafe(4);
  buffer[0] = first;
  buffer[1] = 2;
  buffer.writeUInt16BE(messageId, 2);
  return [buffer];
}

/** The packets the broker sends per message, encoded whole; undefined for every other packet. */
function encode(packet: Packet): Buffer[] | undefined {
  if (packet.cmd === 'publish') return encodePublish(packet);
  const first = ACKS[packet.cmd];
  return first === undefined ? undefined : encodeAck(first, (packet as { messageId?: unknown }).messageId);
}

/**
 * Makes aedes write each PUBLISH and acknowledgement as one buffer, with one `write()` on the connection,
 * instead of mqtt-packet's five to seven small writes (header, length, topic, id, payload) that the stream
 * has to buffer and gather again. aedes imports `writeToStream` from mqtt-packet's module object, so this
 * is where it can be changed. Only calls without options are taken (aedes passes none; MQTT.js clients
 * in the gateway pass theirs and keep mqtt-packet's writer), and anything unusual goes to mqtt-packet,
 * which checks and reports it as before.
 */
export function writeWholePackets(): void {
  const original = mqttPacket.writeToStream;
  if ((original as { wholePackets?: boolean }).wholePackets) return;
  // mqtt-packet would otherwise build a Buffer for each of the 65,536 two-byte numbers on the first
  // packet it writes: 7.4 MB of heap kept for the process's life, to save one tiny allocation.
  original.cacheNumbers = false;
  const whole = ((packet: Packet, stream: Writable, opts?: object) => {
    const chunks = opts === undefined ? encode(packet) : undefined;
    if (chunks === undefined) return original(packet, stream, opts);
    let flowing = true;
    for (const chunk of chunks) flowing = stream.write(chunk);
    return flowing;
  }) as WriteToStream & { wholePackets: boolean };
  Object.defineProperty(whole, 'cacheNumbers', { get: () => original.cacheNumbers, set: (value: boolean) => (original.cacheNumbers = value) });
  whole.wholePackets = true;
  mqttPacket.writeToStream = whole;
}
