import type { NamespaceTag } from './namespace.ts';
import { SET_RESULT_SUFFIX, SET_SUFFIX } from '../../schemas/topic-level.ts';

/**
 * The namespace's tags by topic: one map for the access checks and the `/set` handler, rather than a
 * set of topics and a broker subscription per tag (with 10,000 tags those cost about 11 MB).
 */
export class TagIndex {
  private byTopic: ReadonlyMap<string, NamespaceTag>;

  constructor(tags: readonly NamespaceTag[]) {
    this.byTopic = new Map(tags.map((tag) => [tag.topic, tag]));
  }

  /** A reload: the tags from now on. */
  replace(tags: readonly NamespaceTag[]): void {
    this.byTopic = new Map(tags.map((tag) => [tag.topic, tag]));
  }

  /** The tag whose `/set` topic this is. */
  bySetTopic(topic: string): NamespaceTag | undefined {
    return topic.endsWith(SET_SUFFIX) ? this.byTopic.get(topic.slice(0, -SET_SUFFIX.length)) : undefined;
  }

  /** Tag value and `/set/result` topics: only the gateway publishes there. */
  ownedByGateway(topic: string): boolean {
    if (this.byTopic.has(topic)) return true;
    return topic.endsWith(SET_RESULT_SUFFIX) && this.byTopic.has(topic.slice(0, -SET_RESULT_SUFFIX.length));
  }

  /** Broker subscription filters that cover every tag's `/set` topic: one per topic depth, `+/+/+/+/set`. */
  setFilters(): string[] {
    const depths = new Set<number>();
    for (const topic of this.byTopic.keys()) depths.add(topic.split('/').length);
    return [...depths].sort((a, b) => a - b).map((depth) => `${'+/'.repeat(depth)}set`);
  }
}
