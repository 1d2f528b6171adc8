import { describe, expect, it } from 'vitest';
import { gatewaySchema } from '../../schemas/gateway.ts';
import { principalOf } from '../../src/access/principal.ts';
import { parsePattern } from '../../src/access/topic-pattern.ts';
import { matchesTopic } from '../helpers/topic-match.ts';
import { ACL_CREDENTIALS, ACL_PATTERNS_PER_ROLE, ACL_ROLES, benchAccess } from '../../bench/shared/acl-config.ts';

/** bench:broker measures the cost of access checks with this config: it must be the worst case it claims to be. */
describe('bench:broker ACL config', () => {
  const { access } = gatewaySchema.parse({ access: benchAccess('scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA==$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U=') });
  const user = ACL_CREDENTIALS.username;
  const publisher = principalOf(access, user, 'bench-1-pub0');
  const subscriber = principalOf(access, user, 'bench-1-sub');
  const roles = Object.values(access.roles);
  const fill = (pattern: string, clientId: string) => pattern.replaceAll('%u', user).replaceAll('%c', clientId);

  it('gives the user 20 roles of 10 publish and 10 subscribe patterns each, 10 of the 200 publish patterns denies', () => {
    expect(publisher.roles).toHaveLength(ACL_ROLES);
    expect(roles.map((role) => role.publish.allow.length + role.publish.deny.length)).toEqual(Array(ACL_ROLES).fill(ACL_PATTERNS_PER_ROLE));
    expect(roles.map((role) => role.subscribe.allow.length + role.subscribe.deny.length)).toEqual(Array(ACL_ROLES).fill(ACL_PATTERNS_PER_ROLE));
    expect(roles.flatMap((role) => role.publish.deny)).toHaveLength(10);
    const all = roles.flatMap((role) => [...role.publish.allow, ...role.publish.deny]);
    expect(all.filter((pattern) => pattern.includes('%u')).length).toBeGreaterThan(0);
    expect(all.filter((pattern) => pattern.includes('%c')).length).toBeGreaterThan(0);
    expect(all.filter((pattern) => pattern.startsWith('+/')).length).toBeGreaterThan(0);
  });

  it('lets the fan-in topics through by the last allow of the last role only', () => {
    const topics = ['bench/gateway-acl-1-99/p0', 'bench/gateway-acl-10k-1-99/p3/t9999'];
    expect(topics.map((topic) => publisher.mayPublish(topic))).toEqual([true, true]);
    const allows = roles.flatMap((role) => role.publish.allow);
    const matching = (topic: string) => allows.filter((pattern) => matchesTopic(parsePattern(fill(pattern, 'bench-1-pub0')), topic.split('/')));
    expect(topics.map(matching)).toEqual([[allows.at(-1)], [allows.at(-1)]]);
  });

  it('grants the subscriber bench/<tag>/# wholly, and checks its deliveries against the rules', () => {
    expect(subscriber.subscribe('bench/gateway-acl-1-99/#')).toBe('granted');
    expect(subscriber.readsEverything).toBe(false);
    expect(subscriber.mayRead('bench/gateway-acl-10k-1-99/p3/t9999')).toBe(true);
  });
});
