import { ErrorCodes } from '../../shared/errors.ts';
import type { NamespaceTag } from './namespace.ts';
import { requalify } from './payload.ts';

/**
 * At a start, before any client can connect: the tag values retained from before it that still say
 * `good` (a crash or a power cut left them so) are republished as uncertain with UNS_ERR_VALUE_STALE,
 * value, timestamp and unit kept byte for byte, so that no subscriber takes an old value for a live
 * one. The first reading of each tag then publishes it good again. Resolves with how many were marked.
 */
export async function markStale(
  tags: readonly NamespaceTag[],
  retained: (topic: string) => Buffer | undefined,
  publish: (packet: object) => Promise<void>,
): Promise<number> {
  const publishes: Array<Promise<void>> = [];
  for (const tag of tags) {
    const payload = retained(tag.topic);
    const stale = payload && requalify(payload.toString('utf8'), 'uncertain', ErrorCodes.VALUE_STALE, ['good']);
    if (stale) publishes.push(publish({ cmd: 'publish', topic: tag.topic, payload: Buffer.from(stale), qos: tag.qos, retain: true, dup: false }));
  }
  await Promise.all(publishes);
  return publishes.length;
}
