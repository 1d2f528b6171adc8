import { createRequire } from 'node:module';

/** Every field of a stored publish packet but its payload. */
export interface PacketFields {
  cmd: string;
  topic: string;
  qos: number;
  retain: boolean;
  dup?: boolean;
  messageId?: number | undefined;
  brokerId?: string;
  brokerCounter?: number;
  [field: string]: unknown;
}

/** A publish packet as aedes hands it to its persistence. */
export interface StoredPacket extends PacketFields {
  payload: Buffer;
}

/** Payload as a BLOB, every other field as JSON; a field set to undefined is kept as such. */
export interface EncodedPacket {
  payload: Buffer;
  meta: string;
}

export function encodePacket(packet: StoredPacket): EncodedPacket {
  const meta: Record<string, unknown> = {};
  const undefinedFields: string[] = [];
  for (const [key, value] of Object.entries(packet)) {
    if (key === 'payload') continue;
    if (value === undefined) undefinedFields.push(key);
    else meta[key] = value;
  }
  if (undefinedFields.length > 0) meta.$undefined = undefinedFields;
  const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(String(packet.payload ?? ''));
  return { payload, meta: JSON.stringify(meta) };
}

/** Fields, key and index entries beside the payload and topic of a stored row, about. */
const ROW_OVERHEAD_BYTES = 256;

/** About how many bytes a row of a packet adds to the database: what the space keeper makes room for. */
export function rowBytes(payloadBytes: number, topic: string): number {
  return payloadBytes + topic.length + ROW_OVERHEAD_BYTES;
}

export function decodePacket(payload: Buffer, meta: string): StoredPacket {
  const fields = JSON.parse(meta) as Record<string, unknown> & { $undefined?: string[] };
  const undefinedFields = fields.$undefined;
  delete fields.$undefined;
  const packet = { ...fields, payload } as StoredPacket;
  for (const key of undefinedFields ?? []) packet[key] = undefined;
  return packet;
}

const AedesPacket = createRequire(import.meta.url)('aedes-packet') as new (original: object) => StoredPacket;

/** The copy aedes' own persistence keeps: known fields only, and no message id yet at QoS > 0. */
export function normalizePacket(packet: StoredPacket): StoredPacket {
  return new AedesPacket(packet);
}
