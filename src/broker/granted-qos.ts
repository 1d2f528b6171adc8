import { covers, parsePattern, type Pattern } from '../access/topic-pattern.ts';

/** A client's subscriptions by filter, with the QoS granted to each: aedes' `client.subscriptions`. */
export type GrantedSubscriptions = Record<string, { qos: number } | undefined>;

/**
 * Some of a client's filters with the QoS granted to each, parsed once: which QoS a message on a topic goes at,
 * the highest among the filters that match it [MQTT-3.8.4-6]. A filter that starts with a wildcard does not
 * match a `$` topic [MQTT-4.7.2-1].
 */
export class GrantedFilters {
  private readonly filters: Array<{ levels: Pattern; qos: number; everything: boolean }> = [];

  constructor(subscriptions: GrantedSubscriptions, filters: Iterable<string> = Object.keys(subscriptions)) {
    for (const filter of filters) {
      const subscription = subscriptions[filter];
      if (subscription !== undefined) this.filters.push({ levels: parsePattern(filter), qos: subscription.qos, everything: filter === '#' });
    }
  }

  /** The highest QoS granted to a filter that matches `topic`; undefined when none does. */
  highest(topic: string): number | undefined {
    let levels: Pattern | undefined;
    let best: number | undefined;
    for (const filter of this.filters) {
      // `#` alone, the usual catch-up filter, matches without splitting the topic.
      const matches = filter.everything ? topic.charCodeAt(0) !== DOLLAR : covers(filter.levels, (levels ??= parsePattern(topic)));
      if (matches) best = Math.max(best ?? 0, filter.qos);
    }
    return best;
  }
}

const DOLLAR = 0x24;

/**
 * The QoS each persistent session's queued copy of a message goes at: the highest QoS granted to that session's
 * filters that match it, or the message's own when that is lower [MQTT-3.8.4-6]. `subs` as aedes hands them to its
 * persistence, one per matching filter; a session without a QoS keeps the message's.
 */
export function queuedQos(subs: ReadonlyArray<{ clientId: string; qos?: number }>, messageQos: number): Map<string, number> {
  const granted = new Map<string, number>();
  for (const { clientId, qos } of subs) granted.set(clientId, Math.max(granted.get(clientId) ?? 0, Math.min(qos ?? messageQos, messageQos)));
  return granted;
}
