import type { AedesOptions, AuthenticateError, Client, ConnectPacket, PublishPacket, Subscription } from 'aedes';
import type { AccessConfig, ListenerConfig } from '../../schemas/gateway.ts';
import { describePrincipal, principalOf, type Principal } from '../access/principal.ts';
import type { Principals } from '../access/principals.ts';
import { listenerAcceptsAnonymous } from './anonymous.ts';
import { certificateLogin } from './client-certificate.ts';
import { ErrorCodes, type ErrorCode } from '../../shared/errors.ts';
import { GatewayError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { createLoginCheck, type LoginCheck } from './login-check.ts';
import type { Refusals } from './refusals.ts';
import { SET_SUFFIX } from '../../schemas/topic-level.ts';
import { topicNameProblem } from '../../schemas/topic-rules.ts';

type AccessHandlers = Required<Pick<AedesOptions, 'preConnect' | 'authenticate' | 'authorizePublish' | 'authorizeSubscribe' | 'authorizeForward'>>;

/** CONNACK return codes [MQTT-3.2.2.3]. */
const IDENTIFIER_REJECTED = 2;
const NOT_AUTHORIZED = 5;
const UNDERSCORE = 0x5f;
const DOLLAR = 0x24;

export interface AccessPolicy {
  /** Topics only the gateway itself may publish to (tag value and /set/result topics). */
  ownedByGateway(topic: string): boolean;
  /** Whether `topic` is the /set topic of a mapped tag: a write command, which the write service checks and answers. */
  isSetCommand(topic: string): boolean;
  access: AccessConfig;
}

function authError(returnCode: number, message: string, code: ErrorCode = ErrorCodes.AUTH_FAILED, details?: unknown): GatewayError & AuthenticateError {
  const error = new GatewayError(code, message, details) as GatewayError & AuthenticateError;
  error.returnCode = returnCode;
  return error;
}

/**
 * Why a CONNECT is refused before its credentials are looked at: an empty client id with clean=false
 * gets CONNACK 2 [MQTT-3.1.3-8] (aedes 1.2 would accept it), and a will on a topic that the client could
 * not publish to gets CONNACK 5, since the broker would publish it on the client's behalf.
 */
function connectRefusal(packet: ConnectPacket, policy: AccessPolicy): (GatewayError & AuthenticateError) | undefined {
  if (packet.clientId === '' && packet.clean === false) {
    return authError(IDENTIFIER_REJECTED, 'an empty client id needs clean session [MQTT-3.1.3-8]', ErrorCodes.CLIENT_ID_REJECTED);
  }
  const will = packet.will;
  const refusal = will ? publishRefusal(will.topic, policy) : undefined;
  if (will && refusal !== undefined) return authError(NOT_AUTHORIZED, `will refused: ${refusal}`, ErrorCodes.WILL_REFUSED, { topic: will.topic });
  return undefined;
}

/** Whether `clientId` is one `username` may use under access.bindClientIds: the username itself, or `<username>-…`. */
function ownsClientId(username: string, clientId: string): boolean {
  return clientId === username || clientId.startsWith(`${username}-`);
}

/** The user whose client ids include `clientId`, if any. */
function ownerOfClientId(clientId: string, usernames: Iterable<string>): string | undefined {
  for (const username of usernames) if (ownsClientId(username, clientId)) return username;
  return undefined;
}

/** Why a client may not publish to `topic`, or undefined when it may. */
function publishRefusal(topic: string, policy: AccessPolicy): string | undefined {
  const first = topic.charCodeAt(0);
  if (first === UNDERSCORE) return 'topics starting with "_" are reserved for the gateway';
  if (first === DOLLAR) return 'topics starting with "$" are reserved for the broker';
  if (policy.ownedByGateway(topic)) return 'tag value topics are published by the gateway only';
  return undefined;
}

/** Makes an accepted publish durable before it is acknowledged; undefined when nothing needs it. */
export type DurablePublish = (packet: PublishPacket, clientId: string) => Promise<void> | undefined;

/**
 * Why a client may not publish `packet`, or undefined when it may: then a retained setpoint loses its
 * retain flag, since it would be written to the PLC again after every restart.
 */
function clientPublishRefusal(packet: { topic: string; retain?: boolean }, policy: AccessPolicy): string | undefined {
  const refusal = publishRefusal(packet.topic, policy);
  if (refusal === undefined && packet.retain && packet.topic.endsWith(SET_SUFFIX)) packet.retain = false;
  return refusal;
}

/**
 * A publish read back from the store (a will, a journaled message) as it may be published again, or the
 * reason it may not: it passes the checks a client's PUBLISH passes, protocol rules included, since it
 * may have been stored by an older version that did not check them.
 */
export function admitStoredPublish<T extends { topic: string; qos?: number; retain?: boolean }>(packet: T, policy: AccessPolicy): T | string {
  const problem = topicNameProblem(packet.topic) ?? ((packet.qos ?? 0) > 2 ? 'QoS 3 [MQTT-3.3.1-4]' : undefined);
  return problem ?? clientPublishRefusal(packet, policy) ?? packet;
}

export interface AccessHandlerOptions {
  policy: AccessPolicy;
  principals: Principals;
  log: Logger;
  /** Counts refusals and logs them at a bounded rate: a client repeating a denied publish cannot flood the log. */
  refusals: Refusals;
  listenerOf: (client: Client) => ListenerConfig | undefined;
  /** Makes accepted publishes durable before PUBACK. */
  durable?: DurablePublish | undefined;
}

/** The aedes handlers, and the publishes they let aedes acknowledge but not route (denied by the client's roles). */
export interface Access {
  handlers: AccessHandlers;
  isDropped(packet: object): boolean;
  /** The login check of CONNECT, for other ways in (the web console's session). */
  login: LoginCheck;
}

/** The broker's connect, publish, subscribe and delivery checks, by the principal each client authenticates as. */
export function createAccess(options: AccessHandlerOptions): Access {
  const { policy, principals, log, refusals, listenerOf, durable } = options;
  const users = new Map(policy.access.users.map((user) => [user.username, user]));
  const refuseClientId = (client: Client, message: string) => {
    log.warn({ code: ErrorCodes.CLIENT_ID_REJECTED, clientId: client.id, remote: remoteAddress(client) }, message);
    return authError(IDENTIFIER_REJECTED, message, ErrorCodes.CLIENT_ID_REJECTED);
  };
  const login = createLoginCheck(policy.access.users, log);
  /** Connections refused before they authenticate, with the CONNACK code and the reason. */
  const refusedAtConnect = new WeakMap<Client, GatewayError & AuthenticateError>();
  /** The will topic of each connection that has one: the principal must be allowed to publish it. */
  const willTopics = new WeakMap<Client, string>();
  /** Publishes acknowledged (MQTT 3.1.1 has no negative PUBACK) but not routed: the principal may not publish there. */
  const dropped = new WeakSet<object>();

  /** Accepts `client` as `principal`, unless its will goes where it may not publish. */
  const admit = (client: Client, principal: Principal, callback: (error: AuthenticateError | null, success: boolean) => void) => {
    const willTopic = willTopics.get(client);
    if (willTopic !== undefined && !principal.mayPublish(willTopic)) {
      const message = `will refused: ${describePrincipal(principal)} may not publish to ${willTopic}`;
      log.warn({ code: ErrorCodes.WILL_REFUSED, clientId: client.id, username: principal.username, remote: remoteAddress(client), topic: willTopic }, message);
      callback(authError(NOT_AUTHORIZED, message, ErrorCodes.WILL_REFUSED), false);
      return;
    }
    principals.grant(client, principal);
    callback(null, true);
  };

  const handlers: AccessHandlers = {
    preConnect(client, packet, callback) {
      const refusal = connectRefusal(packet, policy);
      if (refusal) refusedAtConnect.set(client, refusal);
      if (packet.will) willTopics.set(client, packet.will.topic);
      callback(null, true);
    },
    authenticate(client, username, password, callback) {
      const refusal = refusedAtConnect.get(client);
      if (refusal) {
        log.warn({ code: refusal.code, clientId: client.id, remote: remoteAddress(client), ...(refusal.details as object) }, refusal.message);
        callback(refusal, false);
        return;
      }
      const listener = listenerOf(client);
      const certificate = certificateLogin(client, listener, username, (name) => users.has(name));
      if (certificate !== undefined && 'refused' in certificate) {
        const { refused, ...fields } = certificate;
        log.warn({ code: ErrorCodes.CERTIFICATE_USER, clientId: client.id, username, remote: remoteAddress(client), ...fields }, `certificate login refused: ${refused}`);
        callback(authError(NOT_AUTHORIZED, refused, ErrorCodes.CERTIFICATE_USER), false);
        return;
      }
      const name = certificate?.username ?? username;
      if (name === undefined) {
        if (listener === undefined || !listenerAcceptsAnonymous(listener, policy.access)) {
          const reason = policy.access.allowAnonymous
            ? 'this listener accepts clients with a username only (anonymous ones on loopback listeners, or where broker.listeners[].allowAnonymous says so)'
            : 'a username is required (access.allowAnonymous is false)';
          log.warn({ clientId: client.id, remote: remoteAddress(client), listener: listener && `${listener.protocol} ${listener.host}:${listener.port}` }, `anonymous connection refused: ${reason}`);
          callback(authError(NOT_AUTHORIZED, reason), false);
          return;
        }
        const owner = policy.access.bindClientIds ? ownerOfClientId(client.id, users.keys()) : undefined;
        if (owner !== undefined) {
          callback(refuseClientId(client, `client id "${client.id}" belongs to user "${owner}" (access.bindClientIds)`), false);
          return;
        }
        admit(client, principalOf(policy.access, undefined, client.id), callback);
        return;
      }
      // A certificate login needs no password; a password login is the login check's (throttle, dummy hash, log).
      const check = certificate !== undefined ? Promise.resolve({ ok: true } as const) : login.check(name, password, remoteAddress(client), client.id);
      check.then((result) => {
        if (!result.ok) {
          callback(result.error, false);
          return;
        }
        if (policy.access.bindClientIds && !ownsClientId(name, client.id)) {
          callback(refuseClientId(client, `user "${name}" must use its username, or "${name}-…", as client id (access.bindClientIds)`), false);
          return;
        }
        admit(client, principalOf(policy.access, name, client.id), callback);
      });
    },
    authorizePublish(client, packet: PublishPacket, callback) {
      if (client === null) {
        callback(null);
        return;
      }
      const refusal = clientPublishRefusal(packet, policy);
      if (refusal !== undefined) {
        // MQTT 3.1.1 has no negative PUBACK: the connection is closed [MQTT-3.3.5-2].
        log.warn({ code: ErrorCodes.PUBLISH_REFUSED, clientId: client.id, topic: packet.topic }, `publish refused: ${refusal}`);
        callback(new GatewayError(ErrorCodes.PUBLISH_REFUSED, refusal, { topic: packet.topic }));
        return;
      }
      const principal = principals.of(client);
      // A tag's /set is a write command: the write service checks the principal's write rights and answers on /set/result.
      if (principal === undefined || (!principal.mayPublish(packet.topic) && !policy.isSetCommand(packet.topic))) {
        dropped.add(packet);
        refusals.note(
          ErrorCodes.PUBLISH_DENIED,
          { clientId: client.id, username: principal?.username, remote: remoteAddress(client), topic: packet.topic },
          `publish dropped: ${describePrincipal(principal)} may not publish to ${packet.topic}`,
        );
        callback(null);
        return;
      }
      const pending = durable?.(packet, client.id);
      if (pending === undefined) callback(null);
      else pending.then(() => callback(null), (error: Error) => callback(error));
    },
    authorizeSubscribe(client, subscription: Subscription, callback) {
      const principal = principals.of(client);
      const grant = principal?.subscribe(subscription.topic) ?? 'denied';
      if (grant !== 'denied') {
        callback(null, subscription);
        return;
      }
      refusals.note(
        ErrorCodes.SUBSCRIBE_DENIED,
        { clientId: client.id, username: principal?.username, remote: remoteAddress(client), topic: subscription.topic },
        `subscription refused (0x80): ${describePrincipal(principal)} may not subscribe to ${subscription.topic}`,
      );
      callback(null, null);
    },
    authorizeForward(client, packet) {
      const principal = principals.of(client);
      return principal === undefined || principal.readsEverything || principal.mayRead(packet.topic) ? packet : null;
    },
  };
  return { handlers, isDropped: (packet) => dropped.has(packet), login };
}

export function remoteAddress(client: Client): string | undefined {
  const conn = client.conn as { remoteAddress?: string };
  return conn.remoteAddress ?? client.req?.socket.remoteAddress;
}
