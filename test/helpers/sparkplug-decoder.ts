import { isUtf8 } from 'node:buffer';

/**
 * A Sparkplug B payload decoder written from the protobuf wire format, with no protobuf library, so tests can
 * check the gateway's encoder (protobufjs) against an independent reading. Every uint64 (timestamps, seq, alias,
 * long_value) comes back as an exact bigint; uint32 fields (datatype, type, int_value) as numbers. Stricter than
 * protobuf, to catch encoder bugs: a uint32 varint above 2^32-1, a bool other than 0/1, invalid UTF-8, a known
 * field with the wrong wire type and a second member of the value oneof all throw; so does truncated input,
 * naming the message path, the field and the byte offset. Skipped like unknown fields, not decoded: Metric
 * metadata (8), dataset/template/extension_value (17-19), PropertyValue propertyset(s)/extension_value (9-11).
 */

export type DecodedKind = 'int' | 'long' | 'float' | 'double' | 'boolean' | 'string' | 'bytes';
export interface DecodedValue { kind: DecodedKind; value: number | bigint | boolean | string | Buffer }
export interface DecodedPropertyValue { type?: number; isNull?: boolean; value?: DecodedValue }
export interface DecodedMetric {
  name?: string; alias?: bigint; timestamp?: bigint; datatype?: number;
  isHistorical?: boolean; isTransient?: boolean; isNull?: boolean;
  properties?: { keys: string[]; values: DecodedPropertyValue[] };
  value?: DecodedValue;
}
export interface DecodedPayload { timestamp?: bigint; seq?: bigint; uuid?: string; body?: Buffer; metrics: DecodedMetric[] }

const [VARINT, FIXED64, LEN, FIXED32] = [0, 1, 2, 5] as const;
const KINDS: readonly DecodedKind[] = ['int', 'long', 'float', 'double', 'boolean', 'string', 'bytes'];
const KIND_WIRE: Record<DecodedKind, number> = { int: VARINT, long: VARINT, float: FIXED32, double: FIXED64, boolean: VARINT, string: LEN, bytes: LEN };

/** A cursor over buf[pos, end): offsets in errors are absolute offsets in the whole payload. */
class Reader {
  constructor(private readonly buf: Buffer, private pos: number, private readonly end: number, readonly path: string) {}

  private take(n: number, what: string): number {
    const left = this.end - this.pos;
    if (n > left) throw new Error(`${this.path}: truncated ${what} at byte ${this.pos}: needs ${n} byte(s), ${left} left`);
    this.pos += n;
    return this.pos - n;
  }

  varint(what: string): bigint {
    const start = this.pos;
    let value = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Error(`${this.path}: truncated varint ${what} starting at byte ${start}: input ends at byte ${this.pos}`);
      const byte = this.buf.readUInt8(this.take(1, what));
      value |= BigInt(byte & 0x7f) << BigInt(7 * i);
      if (byte < 0x80) {
        if (value >> 64n !== 0n) throw new Error(`${this.path}: varint ${what} at byte ${start} exceeds 64 bits`);
        return value;
      }
    }
    throw new Error(`${this.path}: varint ${what} at byte ${start} is longer than 10 bytes`);
  }

  /** Reads a length prefix and moves past the bytes it covers; returns their start. */
  private span(what: string): number {
    const start = this.pos;
    const length = this.varint(`length of ${what}`);
    const left = this.end - this.pos;
    if (length > BigInt(left)) throw new Error(`${this.path}: truncated ${what} (length at byte ${start}): needs ${length} byte(s), ${left} left`);
    return this.take(Number(length), what);
  }

  /** Calls onField for every field of the message; a field it does not take (returns false) is skipped. */
  fields(onField: (field: number, name: (n: string, wantWire: number) => string) => boolean): void {
    while (this.pos < this.end) {
      const at = this.pos;
      const key = this.varint('field key');
      const field = Number(key >> 3n);
      const wire = Number(key & 7n);
      if (field === 0) throw new Error(`${this.path}: field number 0 at byte ${at}`);
      const name = (n: string, wantWire: number): string => {
        if (wire !== wantWire) throw new Error(`${this.path}: ${n} (field ${field}) at byte ${at} has wire type ${wire}, expected ${wantWire}`);
        return `${n} (field ${field}, key at byte ${at})`;
      };
      if (!onField(field, name)) this.skip(field, wire, at);
    }
  }

  private skip(field: number, wire: number, at: number): void {
    const what = `unknown field ${field} (key at byte ${at})`;
    if (wire === VARINT) this.varint(what);
    else if (wire === FIXED64) this.take(8, what);
    else if (wire === LEN) this.span(what);
    else if (wire === FIXED32) this.take(4, what);
    else throw new Error(`${this.path}: unsupported wire type ${wire} for field ${field} at byte ${at}`);
  }

  uint32(what: string): number {
    const v = this.varint(what);
    if (v > 0xffffffffn) throw new Error(`${this.path}: uint32 ${what} is ${v}, above 2^32-1`);
    return Number(v);
  }

  bool(what: string): boolean {
    const v = this.varint(what);
    if (v > 1n) throw new Error(`${this.path}: bool ${what} is ${v}, not 0 or 1`);
    return v === 1n;
  }

  bytes(what: string): Buffer {
    return Buffer.from(this.buf.subarray(this.span(what), this.pos));
  }

  string(what: string): string {
    const bytes = this.bytes(what);
    if (!isUtf8(bytes)) throw new Error(`${this.path}: ${what} is not valid UTF-8`);
    return bytes.toString('utf8');
  }

  value(kind: DecodedKind, what: string): DecodedValue {
    switch (kind) {
      case 'int': return { kind, value: this.uint32(what) };
      case 'long': return { kind, value: this.varint(what) };
      case 'float': return { kind, value: this.buf.readFloatLE(this.take(4, what)) };
      case 'double': return { kind, value: this.buf.readDoubleLE(this.take(8, what)) };
      case 'boolean': return { kind, value: this.bool(what) };
      case 'string': return { kind, value: this.string(what) };
      case 'bytes': return { kind, value: this.bytes(what) };
    }
  }

  /** A reader over an embedded message. */
  sub(what: string, path: string): Reader {
    return new Reader(this.buf, this.span(what), this.pos, path);
  }
}

function setValue(target: { value?: DecodedValue }, r: Reader, kind: DecodedKind, what: string): void {
  if (target.value !== undefined) throw new Error(`${r.path}: ${what} is a second member of the value oneof (already ${target.value.kind})`);
  target.value = r.value(kind, what);
}

function decodePropertyValue(r: Reader): DecodedPropertyValue {
  const out: DecodedPropertyValue = {};
  r.fields((field, name) => {
    const kind = field >= 3 && field <= 8 ? KINDS[field - 3] : undefined;
    if (field === 1) out.type = r.uint32(name('type', VARINT));
    else if (field === 2) out.isNull = r.bool(name('is_null', VARINT));
    else if (kind !== undefined) setValue(out, r, kind, name(`${kind}_value`, KIND_WIRE[kind]));
    else return false;
    return true;
  });
  return out;
}

function decodeMetric(r: Reader): DecodedMetric {
  const out: DecodedMetric = {};
  r.fields((field, name) => {
    const kind = field >= 10 && field <= 16 ? KINDS[field - 10] : undefined;
    if (field === 1) out.name = r.string(name('name', LEN));
    else if (field === 2) out.alias = r.varint(name('alias', VARINT));
    else if (field === 3) out.timestamp = r.varint(name('timestamp', VARINT));
    else if (field === 4) out.datatype = r.uint32(name('datatype', VARINT));
    else if (field === 5) out.isHistorical = r.bool(name('is_historical', VARINT));
    else if (field === 6) out.isTransient = r.bool(name('is_transient', VARINT));
    else if (field === 7) out.isNull = r.bool(name('is_null', VARINT));
    else if (field === 9) {
      const set = (out.properties ??= { keys: [], values: [] });
      const p = r.sub(name('properties', LEN), `${r.path}.properties`);
      p.fields((f, pname) => {
        if (f === 1) set.keys.push(p.string(pname(`keys[${set.keys.length}]`, LEN)));
        else if (f === 2) set.values.push(decodePropertyValue(p.sub(pname('values', LEN), `${p.path}.values[${set.values.length}]`)));
        else return false;
        return true;
      });
    } else if (kind !== undefined) setValue(out, r, kind, name(`${kind}_value`, KIND_WIRE[kind]));
    else return false;
    return true;
  });
  return out;
}

/** Decodes a Sparkplug B Payload message; throws on truncated or malformed input, naming where. */
export function decodePayload(buf: Buffer): DecodedPayload {
  const r = new Reader(buf, 0, buf.length, 'Payload');
  const out: DecodedPayload = { metrics: [] };
  r.fields((field, name) => {
    if (field === 1) out.timestamp = r.varint(name('timestamp', VARINT));
    else if (field === 2) out.metrics.push(decodeMetric(r.sub(name('metrics', LEN), `Payload.metrics[${out.metrics.length}]`)));
    else if (field === 3) out.seq = r.varint(name('seq', VARINT));
    else if (field === 4) out.uuid = r.string(name('uuid', LEN));
    else if (field === 5) out.body = r.bytes(name('body', LEN));
    else return false;
    return true;
  });
  return out;
}

/** Int8/16/32 travel in int_value as a two's complement uint32 (sign-extended to 32 bits). */
export function int32FromUint32(v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`${v} is not a uint32`);
  return v | 0;
}

/** Int64 travels in long_value as a two's complement uint64. */
export function int64FromUint64(v: bigint): bigint {
  if (v < 0n || v > 0xffffffffffffffffn) throw new RangeError(`${v} is not a uint64`);
  return BigInt.asIntN(64, v);
}
