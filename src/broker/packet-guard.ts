import { isUtf8 } from 'node:buffer';
import type { Client } from 'aedes';
import type { Packet } from 'mqtt-packet';
import { ErrorCodes } from '../../shared/errors.ts';
import { GatewayError } from '../errors.ts';
import { protocolViolation } from './packet-rules.ts';

export interface PacketLimits {
  /** Largest remaining length of any packet. */
  maxPacketBytes: number;
  /** Largest remaining length until the connection is accepted (CONNACK sent). */
  maxConnectBytes: number;
}

/** mqtt-packet's parser, as aedes keeps one per client: the parts the guard hooks into. */
interface ParserInternals {
  packet: { cmd: string; length: number; malformedString?: boolean };
  _pos: number;
  _list: { slice(start: number, end: number): Buffer };
  _parseLength(): boolean;
  _parseString(): string | null;
  _parseMessageId(): boolean;
  _emitError(error: Error): void;
  listeners(event: 'packet'): Array<(this: ParserInternals, packet: Packet) => void>;
  removeAllListeners(event: 'packet'): void;
  on(event: 'packet', listener: (this: ParserInternals, packet: Packet) => void): void;
}

interface ClientInternals {
  _parser: ParserInternals;
  connackSent?: boolean;
}

const REPLACEMENT = '\uFFFD';
const NUL = '\u0000';

/**
 * Whether a decoded MQTT string breaks [MQTT-1.5.3-1] or [MQTT-1.5.3-2]: it holds U+0000, or its bytes are
 * not well-formed UTF-8. A decoded string holds U+FFFD when its bytes were not UTF-8, or when they encoded
 * U+FFFD itself: only then are the bytes checked.
 */
export function isMalformedString(text: string, bytes: () => Uint8Array): boolean {
  return text.includes(NUL) || (text.includes(REPLACEMENT) && !isUtf8(bytes()));
}

/**
 * Hooks a new aedes client's parser so that it refuses what MQTT 3.1.1 says a server must close the
 * connection for, before aedes acts on it:
 * - a packet longer than the limit, from its fixed header, before its body is buffered;
 * - a string that is not well-formed UTF-8, or holds U+0000 [MQTT-1.5.3-1], [MQTT-1.5.3-2];
 * - a packet identifier that runs past the packet's end;
 * - the rules in packet-rules.ts.
 * A refusal is a parser error: aedes closes the connection and publishes the will, as for any protocol error.
 */
export function guardClient(client: Client, limits: PacketLimits): void {
  const internals = client as unknown as ClientInternals;
  const parser = internals._parser;

  const parseLength = parser._parseLength;
  parser._parseLength = function guardedLength(this: ParserInternals) {
    if (!parseLength.call(this)) return false;
    const limit = internals.connackSent ? limits.maxPacketBytes : limits.maxConnectBytes;
    if (this.packet.length <= limit) return true;
    const stage = internals.connackSent ? 'broker.maxPacketBytes' : 'broker.maxConnectBytes, the limit before a connection is accepted';
    this._emitError(
      new GatewayError(ErrorCodes.PACKET_TOO_LARGE, `a packet of ${this.packet.length} bytes is over ${limit} (${stage})`, {
        bytes: this.packet.length,
        limit,
      }),
    );
    return false;
  };

  // mqtt-packet reads an identifier the packet has no room for from the bytes after it (or gives -1), and goes on.
  const parseMessageId = parser._parseMessageId;
  parser._parseMessageId = function guardedMessageId(this: ParserInternals) {
    if (this._pos + 2 <= this.packet.length) return parseMessageId.call(this);
    const { cmd } = this.packet;
    const what = cmd === 'publish' ? 'a QoS 1 or 2 PUBLISH' : `a ${cmd.toUpperCase()}`;
    this._emitError(new GatewayError(ErrorCodes.PROTOCOL_VIOLATION, `${cmd}: ${what} too short for its packet identifier`, { cmd }));
    return false;
  };

  const parseString = parser._parseString;
  parser._parseString = function guardedString(this: ParserInternals) {
    const start = this._pos + 2;
    const text = parseString.call(this);
    if (text !== null && isMalformedString(text, () => this._list.slice(start, this._pos))) {
      this.packet.malformedString = true;
    }
    return text;
  };

  const deliver = parser.listeners('packet');
  parser.removeAllListeners('packet');
  parser.on('packet', function guardedPacket(this: ParserInternals, packet: Packet) {
    const problem = (packet as { malformedString?: boolean }).malformedString
      ? 'a string is not well-formed UTF-8 or holds U+0000 [MQTT-1.5.3-1] [MQTT-1.5.3-2]'
      : protocolViolation(packet);
    if (problem !== undefined) {
      this._emitError(new GatewayError(ErrorCodes.PROTOCOL_VIOLATION, `${packet.cmd}: ${problem}`, { cmd: packet.cmd }));
      return;
    }
    for (const listener of deliver) listener.call(this, packet);
  });
}
