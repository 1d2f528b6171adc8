// What one fuzz connection sends, decided by its own seeded PRNG: the same seed and connection index
// always give the same bytes, however many of them the broker reads before it closes the connection.
import { mutate } from './mutate.ts';
import { PacketFactory } from './packets.ts';
import type { Random } from './random.ts';

/**
 * `random`: bytes with no structure. `mutated`: encoded packets of any kind, mostly damaged, from the first
 * byte (the CONNECT parser and what follows a broken one). `after-connect`: a valid CONNECT, then a long
 * run of packets of which a few are damaged or break a rule, so the handlers behind CONNECT see them.
 */
export type ConnectionKind = 'random' | 'mutated' | 'after-connect';

export interface ConnectionPlan {
  kind: ConnectionKind;
  /** The packets in order, made as they are taken. */
  packets: Iterator<Buffer>;
}

function randomBytes(random: Random): Buffer {
  const bytes = random.bytes(random.between(1, 256));
  if (random.chance(0.3)) bytes[0] = 0x10;
  return bytes;
}

function* randomPackets(random: Random): Generator<Buffer> {
  for (let n = random.between(1, 8); n > 0; n--) yield randomBytes(random);
}

function* mutatedPackets(random: Random, factory: PacketFactory): Generator<Buffer> {
  for (let n = random.between(1, 12), first = true; n > 0; n--, first = false) {
    const packet = first && random.chance(0.6) ? factory.connect() : factory.any();
    yield random.chance(0.8) ? mutate(packet, random, () => factory.any()) : packet;
  }
}

function* afterConnectPackets(random: Random, factory: PacketFactory): Generator<Buffer> {
  yield factory.connect();
  for (let n = random.between(20, 400); n > 0; n--) {
    const roll = random.next();
    if (roll < 0.005) yield randomBytes(random);
    else if (roll < 0.04) yield mutate(factory.afterConnect(true), random, () => factory.afterConnect(true));
    else yield factory.afterConnect(roll < 0.07);
  }
}

export function planConnection(random: Random, gatewayId: string): ConnectionPlan {
  const factory = new PacketFactory(random, gatewayId);
  const roll = random.next();
  if (roll < 0.2) return { kind: 'random', packets: randomPackets(random) };
  if (roll < 0.45) return { kind: 'mutated', packets: mutatedPackets(random, factory) };
  return { kind: 'after-connect', packets: afterConnectPackets(random, factory) };
}
