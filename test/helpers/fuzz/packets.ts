// Well-formed MQTT 3.1.1 packets with fuzz-worthy contents, encoded by mqtt-packet. Strings MQTT.js would
// never send (invalid UTF-8, NUL, overlong encodings) go in as placeholders that are swapped for the raw
// bytes after encoding, so every length field stays right.
import mqttPacket, { type Packet, type QoS } from 'mqtt-packet';
import { connectFlagsAt } from './fixed-header.ts';
import type { Random } from './random.ts';

const JUNK: readonly Buffer[] = [
  Buffer.from([0xff]),
  Buffer.from([0x00]),
  Buffer.from([0xc0, 0x80]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]),
  Buffer.from([0xe2, 0x82]),
  Buffer.from([0xef, 0xbf, 0xbf]),
  Buffer.from([0x7f, 0x01, 0x1b]),
];

const PAYLOADS: readonly string[] = ['', 'online', 'offline', '55', '{"value":55,"id":"fz"}', '{"value":', 'null', '"x"', '{"value":1e999}'];

/** Builds packets for one connection; `junk` remembers each placeholder and the bytes it stands for. */
export class PacketFactory {
  private readonly junk = new Map<string, Buffer>();
  private readonly goodTopics: readonly string[];
  private readonly badTopics: readonly string[];
  private readonly goodFilters: readonly string[];
  private readonly badFilters: readonly string[];

  constructor(
    private readonly random: Random,
    gatewayId: string,
  ) {
    const plant = ['demo-plant/pumping/pump-101/discharge-pressure', 'demo-plant/pumping/pump-101/discharge-pressure/set', 'fuzz/a/b/c/set/result'];
    const odd = ['a//b', ' ', 'ü/€/💥', 'a/'.repeat(300) + 'z', 'x'.repeat(1000)];
    const reserved = [`_gateway/${gatewayId}/status`, `_gateway/${gatewayId}/devices/plc/status`, '$SYS/broker/uptime'];
    this.goodTopics = [...plant, ...odd];
    this.badTopics = [...reserved, '', '/', 'a/+/b', '#', 'a/#'];
    this.goodFilters = [...plant, ...odd, ...reserved, '#', '+', '+/+', 'a/+/b', '+/#', '_gateway/#', '$SYS/#', '/'];
    this.badFilters = ['', '#/a', 'a/b#', 'a+/b', 'a/#/b'];
  }

  /**
   * A topic (or filter): mostly from a bounded set, so that retained values and sessions stay few; when
   * `hostile`, often one the broker must refuse: reserved, wildcards in a publish, empty, invalid UTF-8, NUL.
   */
  topic(filter: boolean, hostile: boolean): string {
    const roll = this.random.next();
    if (roll < 0.5) return `fuzz/${this.random.int(64)}`;
    if (!hostile || roll < 0.65) return this.random.pick(filter ? this.goodFilters : this.goodTopics);
    if (roll < 0.85) return this.random.pick(filter ? this.badFilters : this.badTopics);
    return this.placeholder(`fuzz/${this.random.int(8)}/`, this.random.pick(JUNK));
  }

  clientId(): string {
    const roll = this.random.next();
    if (roll < 0.75) return `fuzz-${this.random.int(40)}`;
    if (roll < 0.85) return '';
    if (roll < 0.9) return 'c'.repeat(this.random.between(200, 400));
    return this.placeholder('fuzz-', this.random.pick(JUNK));
  }

  payload(): Buffer | string {
    return this.random.chance(0.5) ? this.random.pick(PAYLOADS) : this.random.bytes(this.random.int(this.random.chance(0.01) ? 8192 : 200));
  }

  messageId(hostile: boolean): number {
    const roll = this.random.next();
    if (hostile && roll < 0.1) return 0;
    if (roll < 0.4) return this.random.between(1, 8);
    return this.random.between(1, 65535);
  }

  qos(): QoS {
    return this.random.pick([0, 1, 2] as const);
  }

  /**
   * mqtt-packet refuses to encode an empty client id with clean=false (which aedes 1.2 accepts and
   * MQTT-3.1.3-8 forbids) or an empty will topic: those are encoded with stand-ins and then patched.
   */
  connect(): Buffer {
    const legacy = this.random.chance(0.05);
    const clientId = this.clientId();
    const clean = this.random.chance(0.7);
    const packet: Packet = {
      cmd: 'connect',
      protocolId: legacy ? 'MQIsdp' : 'MQTT',
      protocolVersion: legacy && clientId !== '' ? 3 : 4,
      clientId,
      clean: clean || clientId === '',
      keepalive: this.random.pick([0, 1, 2, 60, 65535]),
    };
    if (this.random.chance(0.3)) packet.will = { topic: this.topic(false, true) || 'fuzz/will', payload: this.payload(), qos: this.qos(), retain: this.random.chance(0.5) };
    if (this.random.chance(0.1)) {
      packet.username = this.random.chance(0.5) ? 'operator' : this.placeholder('user-', this.random.pick(JUNK));
      if (this.random.chance(0.7)) packet.password = this.random.bytes(this.random.int(40));
    }
    const encoded = this.encode(packet);
    if (!clean) {
      const at = connectFlagsAt(encoded);
      encoded[at] = (encoded[at] ?? 0) & ~0x02;
    }
    return encoded;
  }

  /** A packet a client may send after CONNECT; when `hostile`, one that breaks a rule is likely. */
  afterConnect(hostile: boolean): Buffer {
    const roll = this.random.next();
    const topic = (filter: boolean) => this.topic(filter, hostile);
    const messageId = this.messageId(hostile);
    if (roll < 0.45) return this.encode({ cmd: 'publish', topic: topic(false), payload: this.payload(), qos: this.qos(), retain: this.random.chance(0.3), dup: this.random.chance(0.1), messageId });
    if (roll < 0.6) {
      const subscriptions = Array.from({ length: this.random.between(1, 4) }, () => ({ topic: topic(true), qos: this.qos() }));
      return this.encode({ cmd: 'subscribe', messageId, subscriptions });
    }
    if (roll < 0.68) return this.encode({ cmd: 'unsubscribe', messageId, unsubscriptions: Array.from({ length: this.random.between(1, 3) }, () => topic(true)) });
    if (roll < 0.76) return this.encode({ cmd: 'pingreq' });
    if (!hostile || roll < 0.93) return this.encode({ cmd: this.random.pick(['pubrel', 'puback', 'pubrec', 'pubcomp'] as const), messageId });
    if (roll < 0.955) return this.encode({ cmd: 'pingresp' });
    if (roll < 0.97) return this.encode({ cmd: 'suback', messageId, granted: [this.qos()] });
    if (roll < 0.98) return this.encode({ cmd: 'connack', sessionPresent: false, returnCode: 0 });
    if (roll < 0.99) return this.connect();
    return this.encode({ cmd: 'disconnect' });
  }

  any(): Buffer {
    return this.random.chance(0.3) ? this.connect() : this.afterConnect(true);
  }

  /** A string of the same byte length as `prefix` + `bytes`, swapped for them after encoding. */
  private placeholder(prefix: string, bytes: Buffer): string {
    const raw = Buffer.concat([Buffer.from(prefix), bytes]);
    const marker = `~${this.junk.size}~`.padEnd(raw.length, '~');
    if (Buffer.byteLength(marker) !== raw.length) return prefix;
    this.junk.set(marker, raw);
    return marker;
  }

  private encode(packet: Packet): Buffer {
    const encoded = mqttPacket.generate(packet);
    for (const [marker, raw] of this.junk) {
      const at = encoded.indexOf(marker);
      if (at >= 0) raw.copy(encoded, at);
    }
    this.junk.clear();
    return encoded;
  }
}
