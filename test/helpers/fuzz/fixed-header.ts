// The MQTT fixed header: one byte of type and flags, then the remaining length in 1 to 4 bytes (MQTT-2.2.3).

/** Index of the first byte after the fixed header (or the packet's end if it has none). */
export function headerEnd(packet: Buffer): number {
  let at = 1;
  while (at < packet.length && at < 4 && ((packet[at] ?? 0) & 0x80) !== 0) at++;
  return Math.min(at + 1, packet.length);
}


/** Offset of CONNECT's flags byte: after the protocol name (2-byte length + bytes) and the level. */
export function connectFlagsAt(packet: Buffer): number {
  const at = headerEnd(packet);
  return at + 2 + (((packet[at] ?? 0) << 8) | (packet[at + 1] ?? 0)) + 1;
}
