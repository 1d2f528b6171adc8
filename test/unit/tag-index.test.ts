import { describe, expect, it } from 'vitest';
import type { NamespaceTag } from '../../src/uns/namespace.ts';
import { TagIndex } from '../../src/uns/tag-index.ts';

function tag(topic: string): NamespaceTag {
  return { id: `plc/${topic}`, device: 'plc', protocol: 'modbus', topic, qos: 1, config: {} as NamespaceTag['config'] };
}

const index = new TagIndex([tag('s/a/pump/flow'), tag('s/a/pump/motor/speed'), tag('s/b/tank/level')]);

describe('tag index', () => {
  it('covers every /set topic with one filter per topic depth', () => {
    expect(index.setFilters()).toEqual(['+/+/+/+/set', '+/+/+/+/+/set']);
  });

  it('finds the tag of a /set topic, and nothing for other topics', () => {
    expect(index.bySetTopic('s/a/pump/flow/set')?.topic).toBe('s/a/pump/flow');
    expect(index.bySetTopic('s/a/pump/motor/speed/set')?.topic).toBe('s/a/pump/motor/speed');
    expect(index.bySetTopic('s/a/pump/motor/set')).toBeUndefined();
    expect(index.bySetTopic('s/a/pump/flow')).toBeUndefined();
    expect(index.bySetTopic('x/a/pump/flow/set')).toBeUndefined();
  });

  it('owns value and /set/result topics, not /set topics or others', () => {
    expect(['s/a/pump/flow', 's/a/pump/flow/set/result', 's/a/pump/motor/speed/set/result'].map((t) => index.ownedByGateway(t))).toEqual([true, true, true]);
    expect(['s/a/pump/flow/set', 's/a/pump/flowx', 's/a/pump/result', 's/a/pump/set/result'].map((t) => index.ownedByGateway(t))).toEqual([false, false, false, false]);
  });
});
