import { describe, expect, it } from 'vitest';
import { gatewaySchema } from '../../schemas/gateway.ts';
import { AccessRules } from '../../src/access/access-rules.ts';
import { principalOf } from '../../src/access/principal.ts';
import { covers, intersects, parsePattern } from '../../src/access/topic-pattern.ts';
import { matchesTopic } from '../helpers/topic-match.ts';

const p = parsePattern;

describe('topic patterns', () => {
  it.each([
    ['a/+/c', 'a/b/c', true],
    ['a/+/c', 'a/b/d', false],
    ['a/#', 'a', true],
    ['a/#', 'a/b/c', true],
    ['a/+', 'a', false],
    ['#', '$SYS/broker/uptime', false],
    ['+/broker/uptime', '$SYS/broker/uptime', false],
    ['$SYS/#', '$SYS/broker/uptime', true],
    ['a/b', 'a/b/c', false],
  ])('%s matches %s: %s', (pattern, topic, expected) => {
    expect(matchesTopic(p(pattern), topic.split('/'))).toBe(expected);
  });

  it.each([
    ['a/#', 'a/+/c', true],
    ['a/+/c', 'a/+/c', true],
    ['a/+/c', 'a/#', false],
    ['a/b/c', 'a/+/c', false],
    ['#', '#', true],
    ['#', '$SYS/#', false],
    ['+/+', 'a/+', true],
    ['a/#', 'a', true],
  ])('%s covers %s: %s', (pattern, filter, expected) => {
    expect(covers(p(pattern), p(filter))).toBe(expected);
  });

  it.each([
    ['a/b', 'a/#', true],
    ['a/#', '#', true],
    ['a/b/c', 'a/+/d', false],
    ['a/b', 'a/b/c', false],
    ['a', 'a/#', true],
    ['$SYS/#', '#', false],
    ['#', '$SYS/#', false],
    ['$SYS/#', '$SYS/+', true],
  ])('%s intersects %s: %s', (pattern, filter, expected) => {
    expect(intersects(p(pattern), p(filter))).toBe(expected);
  });
});

describe('access rules', () => {
  const rules = (allow: string[], deny: string[] = [], who: { username: string | undefined; clientId: string } = { username: 'ops1', clientId: 'ops1-hmi' }) =>
    new AccessRules([{ allow, deny }], who);
  const anonymous = { username: undefined, clientId: 'anon' };

  it('lets a topic through when an allow matches and no deny does', () => {
    const r = rules(['plant/#'], ['plant/secret/#']);
    expect(['plant/a/b', 'plant/secret/x', 'other/a', 'plant'].map((topic) => r.allows(topic))).toEqual([true, false, false, true]);
  });

  it('grants a subscription wholly, only in part, or not at all', () => {
    const r = rules(['plant/#'], ['plant/secret/#']);
    expect(['plant/line1/#', 'plant/#', '#', 'plant/secret/+', 'other/#', 'test/nosubscribe'].map((filter) => r.subscription(filter))).toEqual([
      'granted',
      'filtered',
      'filtered',
      'denied',
      'denied',
      'denied',
    ]);
  });

  it('fills %u and %c in, and a name holding "/", "+" or "#" widens nothing', () => {
    expect(rules(['clients/%u/#']).allows('clients/ops1/x')).toBe(true);
    expect(rules(['clients/%u/#']).allows('clients/ops2/x')).toBe(false);
    expect(rules(['c/%c']).allows('c/ops1-hmi')).toBe(true);
    expect(rules(['c/%c/#'], [], { username: 'u', clientId: '+' }).allows('c/anything/x')).toBe(false);
    expect(rules(['c/%c/#'], [], { username: 'u', clientId: 'a/b' }).allows('c/a/b/x')).toBe(false);
    expect(rules(['home/%u/#', 'home/+/public'], [], anonymous).allows('home/x')).toBe(false);
    expect(rules(['home/%u/#', 'home/+/public'], [], anonymous).allows('home/x/public')).toBe(true);
  });

  it('turns a deny level whose variable has no usable value into "+": it denies more, never less', () => {
    const r = rules(['#'], ['private/%u/#'], anonymous);
    expect(r.allows('private/anyone/x')).toBe(false);
    expect(r.allows('public/x')).toBe(true);
  });

  it('matches a topic against many patterns at once as it matches each pattern alone', () => {
    const patterns = ['#', '+', 'a', 'a/#', 'a/+', 'a/b', 'a/b/#', 'a/+/c', '+/b/#', '+/+/c/#', 'a//c', '+/+', '$SYS/#', '$SYS/+/x', 'x/a/#', 'x/+/+/d'];
    const topics = ['a', 'a/b', 'a/b/c', 'a/x/c', 'a/b/c/d', 'a//c', 'b', 'b/b/c', 'x/a', 'x/y/z/d', 'x/a/z/d', '$SYS/b/x', '$SYS', '/a', 'a/', ''];
    for (const topic of topics) {
      const each = patterns.map((pattern) => matchesTopic(p(pattern), topic.split('/')));
      expect(patterns.map((pattern) => rules([pattern]).allows(topic)), topic).toEqual(each);
      expect(rules(patterns).allows(topic), topic).toBe(each.some(Boolean));
      expect(rules(['#', '$SYS/#'], patterns).allows(topic), topic).toBe(!each.some(Boolean));
    }
    expect(patterns.map((pattern) => rules([pattern]).allows('a/b/c')).filter(Boolean)).toHaveLength(6);
  });

  it('matches literal levels that share a prefix, whether one level has few of them or many', () => {
    const few = ['s/a/#', 's/ab', 's/abc/+'];
    const many = [...few, ...Array.from({ length: 12 }, (_, i) => `s/x${i}/y`)];
    const topics = ['s/a', 's/a/z', 's/ab', 's/ab/z', 's/abc', 's/abc/z', 's/abcd/z', 's/b', 's/x1/y', 's/x11/y', 's/x1', 's/x12/y', 's/', 's'];
    for (const patterns of [few, many]) {
      const allowed = topics.filter((topic) => rules(patterns).allows(topic));
      const reference = topics.filter((topic) => patterns.some((pattern) => matchesTopic(p(pattern), topic.split('/'))));
      expect(allowed, `${patterns.length} patterns`).toEqual(reference);
    }
    expect(topics.filter((topic) => rules(many).allows(topic))).toEqual(['s/a', 's/a/z', 's/ab', 's/abc/z', 's/x1/y', 's/x11/y']);
  });

  it('gives the same answer when asked again', () => {
    const r = rules(['a/#'], ['a/b']);
    expect([r.allows('a/b'), r.allows('a/b'), r.allows('a/c'), r.allows('a/c')]).toEqual([false, false, true, true]);
  });
});

describe('principals', () => {
  const access = gatewaySchema.parse({
    access: {
      roles: {
        viewer: { subscribe: ['plant/#'] },
        operator: { subscribe: ['plant/#'], write: ['plant/line1/#'] },
        nosub: { subscribe: { allow: ['#'], deny: ['test/nosubscribe'] }, publish: ['#'] },
      },
      users: [
        { username: 'v', password: 'scrypt$1$1$1$AA==$AA==', roles: 'viewer' },
        { username: 'o', password: 'scrypt$1$1$1$AA==$AA==', roles: ['operator', 'viewer'] },
        { username: 'legacy', password: 'scrypt$1$1$1$AA==$AA==', write: true },
      ],
      anonymousRoles: ['nosub'],
    },
  }).access;

  it('adds up the rights of a user\'s roles', () => {
    const o = principalOf(access, 'o', 'o-1');
    expect([o.mayWrite('plant/line1/press/sp'), o.mayWrite('plant/line2/press/sp'), o.mayPublish('plant/x')]).toEqual([true, false, false]);
    expect(o.roles).toEqual(['operator', 'viewer']);
  });

  it('gives a user without roles the rights from before roles, and an unknown user none', () => {
    const legacy = principalOf(access, 'legacy', 'l');
    expect([legacy.mayPublish('a/b'), legacy.subscribe('$SYS/#'), legacy.mayWrite('plant/line2/x')]).toEqual([true, 'granted', true]);
    const stranger = principalOf(access, 'nobody', 'n');
    expect([stranger.mayPublish('a/b'), stranger.subscribe('#'), stranger.mayWrite('a/b')]).toEqual([false, 'denied', false]);
  });

  it('gives anonymous clients access.anonymousRoles, whose deliveries are checked one by one', () => {
    const anonymous = principalOf(access, undefined, 'x');
    expect(anonymous.subscribe('test/nosubscribe')).toBe('denied');
    expect(anonymous.subscribe('#')).toBe('filtered');
    expect(anonymous.readsEverything).toBe(false);
    expect([anonymous.mayRead('test/nosubscribe'), anonymous.mayRead('test/other')]).toEqual([false, true]);
    expect(principalOf(access, 'legacy', 'l').readsEverything).toBe(true);
    expect(principalOf(access, 'v', 'v').readsEverything).toBe(false);
  });
});
