/** The parts of aedes' mqemitter (its subscription matcher, a Qlobber) the cache hooks into. */
interface Matcher {
  match(topic: string): unknown[];
  add(...args: unknown[]): unknown;
  remove(...args: unknown[]): unknown;
  clear(...args: unknown[]): unknown;
}

/** Topics remembered at most; past it the cache starts again, so that endless distinct topics cost no more memory. */
const MAX_TOPICS = 100_000;

/**
 * Remembers, per topic, which subscriptions aedes' emitter found for it, until any subscription is added
 * or removed. aedes splits the topic and walks its tree of filters for every message routed; a gateway
 * publishes the same tag topics over and over while subscriptions rarely change, so most lookups are
 * one map read. The arrays are aedes' own (mqemitter only reads them).
 */
export function cacheTopicMatches(mq: unknown): void {
  const matcher = (mq as { _matcher: Matcher })._matcher;
  const cache = new Map<string, unknown[]>();
  const match = matcher.match.bind(matcher);
  matcher.match = (topic: string) => {
    let found = cache.get(topic);
    if (found === undefined) {
      if (cache.size >= MAX_TOPICS) cache.clear();
      found = match(topic);
      cache.set(topic, found);
    }
    return found;
  };
  for (const change of ['add', 'remove', 'clear'] as const) {
    const original = matcher[change].bind(matcher);
    matcher[change] = (...args: unknown[]) => {
      cache.clear();
      return original(...args);
    };
  }
}
