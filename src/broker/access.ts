import type { AedesOptions, AuthenticateError, Client, PublishPacket } from 'aedes';
import { ErrorCodes, GatewayError } from '../errors.ts';
import type { Logger } from '../log.ts';

type AccessHandlers = Required<Pick<AedesOptions, 'preConnect' | 'authenticate' | 'authorizePublish'>>;

/** CONNACK return code 2: identifier rejected. */
const IDENTIFIER_REJECTED = 2;
const UNDERSCORE = 0x5f;
const DOLLAR = 0x24;

export interface AccessPolicy {
  /** Topics only the gateway itself may publish to (tag value topics). */
  gatewayOwnedTopics: ReadonlySet<string>;
}

/** Why a client may not publish to `topic`, or undefined when it may. */
export function publishRefusal(topic: string, policy: AccessPolicy): string | undefined {
  const first = topic.charCodeAt(0);
  if (first === UNDERSCORE) return 'topics starting with "_" are reserved for the gateway';
  if (first === DOLLAR) return 'topics starting with "$" are reserved for the broker';
  if (policy.gatewayOwnedTopics.has(topic)) return 'tag value topics are published by the gateway only';
  return undefined;
}

/** Makes an accepted publish durable before it is acknowledged; undefined when nothing needs it. */
export type DurablePublish = (packet: PublishPacket) => Promise<void> | undefined;

/** The broker's connect and publish checks; accepted publishes pass through `durable` before PUBACK. */
export function createAccessHandlers(policy: AccessPolicy, log: Logger, durable?: DurablePublish): AccessHandlers {
  const rejectedIds = new WeakSet<Client>();
  return {
    preConnect(client, packet, callback) {
      // [MQTT-3.1.3-8] a zero-byte client id with CleanSession=0 gets CONNACK 2; aedes 1.2 would accept it.
      if (packet.clientId === '' && packet.clean === false) rejectedIds.add(client);
      callback(null, true);
    },
    authenticate(client, _username, _password, callback) {
      if (rejectedIds.has(client)) {
        const error = new GatewayError(
          ErrorCodes.CLIENT_ID_REJECTED,
          'an empty client id needs clean session [MQTT-3.1.3-8]',
        ) as GatewayError & AuthenticateError;
        error.returnCode = IDENTIFIER_REJECTED;
        log.warn({ code: error.code, remote: remoteAddress(client) }, error.message);
        callback(error, false);
        return;
      }
      callback(null, true);
    },
    authorizePublish(client, packet: PublishPacket, callback) {
      if (client === null) {
        callback(null);
        return;
      }
      const refusal = publishRefusal(packet.topic, policy);
      if (refusal === undefined) {
        const pending = durable?.(packet);
        if (pending === undefined) callback(null);
        else pending.then(() => callback(null), (error: Error) => callback(error));
        return;
      }
      // MQTT 3.1.1 has no negative PUBACK: the connection is closed [MQTT-3.3.5-2].
      log.warn({ code: ErrorCodes.PUBLISH_REFUSED, clientId: client.id, topic: packet.topic }, `publish refused: ${refusal}`);
      callback(new GatewayError(ErrorCodes.PUBLISH_REFUSED, refusal, { topic: packet.topic }));
    },
  };
}

function remoteAddress(client: Client): string | undefined {
  const conn = client.conn as { remoteAddress?: string };
  return conn.remoteAddress ?? client.req?.socket.remoteAddress;
}
