import type { AccessConfig, RoleConfig } from '../../schemas/gateway.ts';
import { AccessRules, type SubscriptionGrant } from './access-rules.ts';

/**
 * Who is acting, and what it may do: a user (or an anonymous client) through one client id, with the
 * rights of its roles. Every write path asks the same principal: MQTT `/set` now, bridge and Sparkplug
 * commands later.
 */
export interface Principal {
  readonly username: string | undefined;
  readonly clientId: string;
  /** Role names, for logs; empty for a client without roles. */
  readonly roles: readonly string[];
  mayPublish(topic: string): boolean;
  /** Whether it may write the setpoint of the tag published on `tagTopic` (site/area/asset/tag). */
  mayWrite(tagTopic: string): boolean;
  /** How a subscription to `filter` is granted. */
  subscribe(filter: string): SubscriptionGrant;
  /** Whether a message on `topic` may be delivered to it. */
  mayRead(topic: string): boolean;
  /**
   * Whether it may read every topic, so that its deliveries need no check. Otherwise each one is checked:
   * a subscription granted in part, or restored from a session stored under other rules, delivers only
   * what the rules allow now.
   */
  readonly readsEverything: boolean;
}

/** The rights of a client without roles, as they were before roles existed: anything but the reserved topics, and writes if allowed. */
function unrestricted(write: boolean): RoleConfig {
  return {
    subscribe: { allow: ['#', '$SYS/#'], deny: [] },
    publish: { allow: ['#'], deny: [] },
    write: { allow: write ? ['#'] : [], deny: [] },
  };
}

class RolePrincipal implements Principal {
  readonly readsEverything: boolean;
  private readonly publish: AccessRules;
  private readonly read: AccessRules;
  private readonly write: AccessRules;

  constructor(
    readonly username: string | undefined,
    readonly clientId: string,
    readonly roles: readonly string[],
    rights: readonly RoleConfig[],
  ) {
    const variables = { username, clientId };
    this.publish = new AccessRules(rights.map((role) => role.publish), variables);
    this.read = new AccessRules(rights.map((role) => role.subscribe), variables);
    this.write = new AccessRules(rights.map((role) => role.write), variables);
    this.readsEverything = this.read.allowsEverything();
  }

  mayPublish(topic: string): boolean {
    return this.publish.allows(topic);
  }

  mayWrite(tagTopic: string): boolean {
    return this.write.allows(tagTopic);
  }

  subscribe(filter: string): SubscriptionGrant {
    return this.read.subscription(filter);
  }

  mayRead(topic: string): boolean {
    return this.read.allows(topic);
  }
}

/**
 * The principal of `username` (undefined: anonymous) connected as `clientId`. A username that is not one
 * of access.users has no rights at all.
 */
export function principalOf(access: AccessConfig, username: string | undefined, clientId: string): Principal {
  if (username === undefined) {
    const names = access.anonymousRoles;
    return names === undefined
      ? new RolePrincipal(undefined, clientId, [], [unrestricted(access.anonymousWrite)])
      : new RolePrincipal(undefined, clientId, names, rolesNamed(access, names));
  }
  const user = access.users.find((candidate) => candidate.username === username);
  if (user === undefined) return new RolePrincipal(username, clientId, [], []);
  return user.roles === undefined
    ? new RolePrincipal(username, clientId, [], [unrestricted(user.write)])
    : new RolePrincipal(username, clientId, user.roles, rolesNamed(access, user.roles));
}

/** A principal of the gateway's own (a bridge writing setpoints from upstream), named `name`, with the rights of `roles`. */
export function principalWithRoles(access: AccessConfig, name: string, clientId: string, roles: readonly string[]): Principal {
  return new RolePrincipal(name, clientId, roles, rolesNamed(access, roles));
}

function rolesNamed(access: AccessConfig, names: readonly string[]): RoleConfig[] {
  return names.flatMap((name) => access.roles[name] ?? []);
}

/** A principal as messages name it: `user "ops1" (roles operator)`, or `an anonymous client`. */
export function describePrincipal(principal: Principal | undefined): string {
  if (principal === undefined) return 'this client';
  const roles = principal.roles.length > 0 ? ` (roles ${principal.roles.join(', ')})` : '';
  return principal.username === undefined ? `an anonymous client${roles}` : `user "${principal.username}"${roles}`;
}
