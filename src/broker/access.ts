import type { AedesOptions, AuthenticateError, Client, ConnectPacket, PublishPacket } from 'aedes';
import type { AccessConfig, ListenerConfig } from '../../schemas/gateway.ts';
import { listenerAcceptsAnonymous } from './anonymous.ts';
import { ErrorCodes, GatewayError, type ErrorCode } from '../errors.ts';
import type { Logger } from '../log.ts';
import { createLoginCheck } from './login-check.ts';
import { topicNameProblem } from './topic-rules.ts';

type AccessHandlers = Required<Pick<AedesOptions, 'preConnect' | 'authenticate' | 'authorizePublish'>>;

/** CONNACK return codes [MQTT-3.2.2.3]. */
const IDENTIFIER_REJECTED = 2;
const NOT_AUTHORIZED = 5;
const SET_SUFFIX = '/set';
const UNDERSCORE = 0x5f;
const DOLLAR = 0x24;

export interface AccessPolicy {
  /** Topics only the gateway itself may publish to (tag value and /set/result topics). */
  ownedByGateway(topic: string): boolean;
  access: AccessConfig;
}

interface Grant {
  writer: boolean;
  username: string | undefined;
}

/**
 * Who may write setpoints: decided at CONNECT, looked up by client id when a /set arrives. A grant
 * takes effect only once the client is registered, after aedes has closed an older connection with
 * the same id, so that the old connection cannot write with the new one's rights.
 */
export class WritePermissions {
  private readonly byClient = new Map<string, Grant>();
  private readonly pending = new WeakMap<Client, Grant>();

  grant(client: Client, username: string | undefined, writer: boolean): void {
    this.pending.set(client, { writer, username });
  }

  /** The client is registered (aedes' `client` event). */
  activate(client: Client): void {
    this.byClient.set(client.id, this.pending.get(client) ?? { writer: false, username: undefined });
  }

  canWrite(clientId: string | undefined): boolean {
    return clientId !== undefined && (this.byClient.get(clientId)?.writer ?? false);
  }

  username(clientId: string | undefined): string | undefined {
    return clientId === undefined ? undefined : this.byClient.get(clientId)?.username;
  }
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
export function publishRefusal(topic: string, policy: AccessPolicy): string | undefined {
  const first = topic.charCodeAt(0);
  if (first === UNDERSCORE) return 'topics starting with "_" are reserved for the gateway';
  if (first === DOLLAR) return 'topics starting with "$" are reserved for the broker';
  if (policy.ownedByGateway(topic)) return 'tag value topics are published by the gateway only';
  return undefined;
}

/** Makes an accepted publish durable before it is acknowledged; undefined when nothing needs it. */
export type DurablePublish = (packet: PublishPacket, clientId: string) => Promise<void> | undefined;

/**
 * A client's publish as the broker lets it through, or undefined when refused: a retained setpoint
 * loses its retain flag, since it would be written to the PLC again after every restart.
 */
function admitClientPublish<T extends { topic: string; retain?: boolean }>(packet: T, policy: AccessPolicy): T | undefined {
  if (publishRefusal(packet.topic, policy) !== undefined) return undefined;
  if (packet.retain && packet.topic.endsWith(SET_SUFFIX)) packet.retain = false;
  return packet;
}

/**
 * A publish read back from the store (a will, a journaled message) as it may be published again, or the
 * reason it may not: it passes the checks a client's PUBLISH passes, protocol rules included, since it
 * may have been stored by an older version that did not check them.
 */
export function admitStoredPublish<T extends { topic: string; qos?: number; retain?: boolean }>(packet: T, policy: AccessPolicy): T | string {
  const problem = topicNameProblem(packet.topic) ?? ((packet.qos ?? 0) > 2 ? 'QoS 3 [MQTT-3.3.1-4]' : undefined);
  return problem ?? admitClientPublish(packet, policy) ?? publishRefusal(packet.topic, policy) ?? 'refused';
}

/** The broker's connect and publish checks; accepted publishes pass through `durable` before PUBACK. */
export function createAccessHandlers(
  policy: AccessPolicy,
  permissions: WritePermissions,
  log: Logger,
  listenerOf: (client: Client) => ListenerConfig | undefined,
  durable?: DurablePublish,
): AccessHandlers {
  const users = new Map(policy.access.users.map((user) => [user.username, user]));
  const refuseClientId = (client: Client, message: string) => {
    log.warn({ code: ErrorCodes.CLIENT_ID_REJECTED, clientId: client.id, remote: remoteAddress(client) }, message);
    return authError(IDENTIFIER_REJECTED, message, ErrorCodes.CLIENT_ID_REJECTED);
  };
  const login = createLoginCheck(policy.access.users, log);
  /** Connections refused before they authenticate, with the CONNACK code and the reason. */
  const refusedAtConnect = new WeakMap<Client, GatewayError & AuthenticateError>();
  return {
    preConnect(client, packet, callback) {
      const refusal = connectRefusal(packet, policy);
      if (refusal) refusedAtConnect.set(client, refusal);
      callback(null, true);
    },
    authenticate(client, username, password, callback) {
      const refusal = refusedAtConnect.get(client);
      if (refusal) {
        log.warn({ code: refusal.code, clientId: client.id, remote: remoteAddress(client), ...(refusal.details as object) }, refusal.message);
        callback(refusal, false);
        return;
      }
      if (username === undefined) {
        const listener = listenerOf(client);
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
        permissions.grant(client, undefined, policy.access.anonymousWrite);
        callback(null, true);
        return;
      }
      login.check(username, password, remoteAddress(client), client.id).then((result) => {
        if (!result.ok) {
          callback(result.error, false);
          return;
        }
        if (policy.access.bindClientIds && !ownsClientId(username, client.id)) {
          callback(refuseClientId(client, `user "${username}" must use its username, or "${username}-…", as client id (access.bindClientIds)`), false);
          return;
        }
        permissions.grant(client, username, result.user.write);
        callback(null, true);
      });
    },
    authorizePublish(client, packet: PublishPacket, callback) {
      if (client === null) {
        callback(null);
        return;
      }
      if (admitClientPublish(packet, policy)) {
        const pending = durable?.(packet, client.id);
        if (pending === undefined) callback(null);
        else pending.then(() => callback(null), (error: Error) => callback(error));
        return;
      }
      const refusal = publishRefusal(packet.topic, policy) ?? 'refused';
      // MQTT 3.1.1 has no negative PUBACK: the connection is closed [MQTT-3.3.5-2].
      log.warn({ code: ErrorCodes.PUBLISH_REFUSED, clientId: client.id, topic: packet.topic }, `publish refused: ${refusal}`);
      callback(new GatewayError(ErrorCodes.PUBLISH_REFUSED, refusal, { topic: packet.topic }));
    },
  };
}

export function remoteAddress(client: Client): string | undefined {
  const conn = client.conn as { remoteAddress?: string };
  return conn.remoteAddress ?? client.req?.socket.remoteAddress;
}
