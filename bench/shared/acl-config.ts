import type { z } from 'zod';
import type { gatewaySchema } from '../../schemas/gateway.ts';
import type { Credentials } from './mqtt-clients.ts';

/** The `access` section of gateway.yaml, as written. */
export type AccessInput = NonNullable<z.input<typeof gatewaySchema>['access']>;

export const ACL_ROLES = 20;
export const ACL_PATTERNS_PER_ROLE = 10;
/** Every fourth role denies something; a deny takes the place of an allow. */
const DENY_EVERY = 4;

export const ACL_CREDENTIALS: Credentials = { username: 'bench', password: 'bench-password' };

export function roleName(r: number): string {
  return `role${String(r).padStart(2, '0')}`;
}

/**
 * Role `r`'s publish rules, 10 patterns: literal prefixes, + and # levels, %u and %c. The benchmark's topics
 * (bench/…) match only the last pattern of the last role, and near-misses (bench/role<r>/#, +/…) of others.
 */
function publishRules(r: number): { allow: string[]; deny: string[] } {
  const site = `site${r}`;
  const denies = r % DENY_EVERY === 0;
  const allow = [
    `acme/${site}/area1/#`,
    `acme/${site}/+/line${r}/+/state`,
    `acme/+/area${r}/+/+/alarm`,
    `acme/${site}/maintenance/%u/#`,
    `edge/%c/role${r}/#`,
    `spBv1.0/group${r}/+/+`,
    ...(denies ? [] : [`+/${site}/+/status`, `acme/${site}/area${r}/line1/cell1/+`]),
    `users/%u/inbox/${r}`,
    r === ACL_ROLES ? 'bench/#' : `bench/role${r}/#`,
  ];
  const deny = denies ? [`acme/${site}/area1/safety/#`, `edge/%c/role${r}/firmware/#`] : [];
  return { allow, deny };
}

/**
 * 20 roles of 10 publish and 10 subscribe patterns each (10 of the 200 publish patterns deny), and a user
 * with all of them: the load generator's clients log in as that user.
 */
export function benchAccess(passwordHash: string): AccessInput {
  const names = Array.from({ length: ACL_ROLES }, (_, i) => roleName(i + 1));
  const roles = Object.fromEntries(
    names.map((name, i) => {
      const r = i + 1;
      const rules = publishRules(r);
      return [name, { publish: rules, subscribe: rules, write: [`acme/site${r}/area1/+/+/+`, `acme/site${r}/+/line${r}/#`] }];
    }),
  );
  return { roles, users: [{ username: ACL_CREDENTIALS.username, password: passwordHash, roles: names }] };
}
