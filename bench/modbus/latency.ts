/**
 * Matches register changes made in the simulator with the value messages a subscriber received,
 * by (topic, value), after the run (so that IPC and MQTT arrival order do not matter).
 */
import type { ChangeRecord } from './protocol.ts';

/** One value message as the subscriber got it. */
export interface Reception {
  value: number;
  /** Date.now() at the subscriber when it arrived. */
  received: number;
  /** The payload's timestamp: when the gateway read the register. */
  readAt: number;
}

export interface ChangeLatencies {
  /** Change → subscriber, ms. */
  endToEnd: number[];
  /** Change → read by the gateway (payload timestamp), ms: waiting for the next poll. */
  toRead: number[];
  /** Read → subscriber, ms: the gateway's own path (worker → main thread → broker → socket). */
  readToSubscriber: number[];
  /** Changes in the window. */
  changes: number;
  /** Overwritten by a later change of the same register before any poll saw them. */
  superseded: number;
  /** Never seen although not overwritten. */
  missed: number;
}

/**
 * For every change made in [from, to): the first message on its topic, arriving at or after the
 * change, that carries the new value. Changes outside the window still count for supersession.
 */
export function matchChanges(
  changes: readonly ChangeRecord[],
  receptions: ReadonlyMap<string, readonly Reception[]>,
  topicOf: (device: number, address: number) => string,
  from: number,
  to: number,
): ChangeLatencies {
  const byTopic = new Map<string, ChangeRecord[]>();
  for (const change of changes) {
    const topic = topicOf(change[0], change[1]);
    const list = byTopic.get(topic);
    if (list) list.push(change);
    else byTopic.set(topic, [change]);
  }
  const result: ChangeLatencies = { endToEnd: [], toRead: [], readToSubscriber: [], changes: 0, superseded: 0, missed: 0 };
  for (const [topic, list] of byTopic) {
    list.sort((a, b) => a[3] - b[3]);
    const got = receptions.get(topic) ?? [];
    const used = new Set<number>();
    list.forEach((change, i) => {
      const [, , value, time] = change;
      if (time < from || time >= to) return;
      result.changes++;
      const index = got.findIndex((r, k) => !used.has(k) && r.received >= time && r.value === value);
      const hit = index >= 0 ? got[index] : undefined;
      if (hit === undefined) {
        const next = list[i + 1];
        // Not seen: overwritten before a poll read it, or lost.
        if (next !== undefined && !got.some((r) => r.readAt >= time && r.readAt < next[3] && r.received >= time)) result.superseded++;
        else result.missed++;
        return;
      }
      used.add(index);
      result.endToEnd.push(hit.received - time);
      result.toRead.push(hit.readAt - time);
      result.readToSubscriber.push(hit.received - hit.readAt);
    });
  }
  return result;
}
