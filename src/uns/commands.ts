import { describePrincipal } from '../access/principal.ts';
import type { Broker, InboundPacket } from '../broker/broker.ts';
import type { ConnectorHost } from '../connectors/host.ts';
import { ErrorCodes, GatewayError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { NamespaceTag } from './namespace.ts';
import { jsonValue } from './payload.ts';
import { checkSetValue, parseSetPayload } from './set-command.ts';
import { RESULT_SUFFIX, type TagIndex } from './tag-index.ts';
import { SET_SUFFIX } from './topic.ts';

/**
 * `<tag>/set` → checks (payload, writable, permission, type, range) → write request to the worker →
 * outcome on `<tag>/set/result`. Nothing that fails a check reaches the PLC. Every attempt is logged.
 */
export class CommandHandler {
  constructor(
    private readonly index: TagIndex,
    private readonly broker: Broker,
    private readonly host: ConnectorHost,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const route = (packet: InboundPacket): void => {
      const tag = this.index.bySetTopic(packet.topic);
      void (tag === undefined ? this.refuseUnknown(packet) : this.handle(tag, packet));
    };
    await Promise.all(this.index.setFilters().map((filter) => this.broker.subscribe(filter, route)));
  }

  /** A `/set` on a topic no tag is mapped to: answered and logged like any refused write, so that a typo is not met with silence. */
  private async refuseUnknown(packet: InboundPacket): Promise<void> {
    const topic = packet.topic.slice(0, -SET_SUFFIX.length);
    let id: string | undefined;
    try {
      id = parseSetPayload(packet.payload).id;
    } catch {
      // The unknown topic is the error to report, whatever the payload.
    }
    const failure = new GatewayError(ErrorCodes.SET_UNKNOWN_TAG, `no tag is mapped to ${topic}: check the topic (uns-gateway validate lists them)`);
    await this.refuse(topic + SET_SUFFIX + RESULT_SUFFIX, failure, { ...actor(packet), topic: packet.topic }, id);
  }

  private async handle(tag: NamespaceTag, packet: InboundPacket): Promise<void> {
    const resultTopic = tag.topic + SET_SUFFIX + RESULT_SUFFIX;
    const who = { ...actor(packet), tag: tag.id, topic: packet.topic };
    let id: string | undefined;
    try {
      const command = parseSetPayload(packet.payload);
      id = command.id;
      if (!tag.config.writable) throw new GatewayError(ErrorCodes.SET_NOT_WRITABLE, `tag ${tag.id} is not mapped writable`);
      if (!packet.principal?.mayWrite(tag.topic)) {
        throw new GatewayError(ErrorCodes.SET_FORBIDDEN, `${describePrincipal(packet.principal)} may not write ${tag.topic} (access.roles[].write; access.users[].write for a user without roles)`);
      }
      const value = checkSetValue(tag.config, command.value);
      const result = await this.host.write(tag.device, tag.config.name, value);
      if (!result.ok) throw new GatewayError(result.error.code, result.error.message);
      this.log.info({ ...who, value: String(value), readBack: String(result.value), id }, 'write done');
      await this.reply(resultTopic, `{"ok":true${id === undefined ? '' : `,"id":${JSON.stringify(id)}`},"value":${jsonValue(result.value)},"timestamp":${result.timestamp}}`);
    } catch (error) {
      const failure = error instanceof GatewayError ? error : new GatewayError(ErrorCodes.WRITE_FAILED, (error as Error).message);
      await this.refuse(resultTopic, failure, who, id);
    }
  }

  private async refuse(resultTopic: string, failure: GatewayError, who: Record<string, string | undefined>, id: string | undefined): Promise<void> {
    this.log.warn({ ...who, code: failure.code, err: failure.message, id }, 'write refused');
    await this.reply(resultTopic, JSON.stringify({ ok: false, ...(id === undefined ? {} : { id }), error: { code: failure.code, message: failure.message } }));
  }

  private reply(topic: string, payload: string): Promise<void> {
    return this.broker.publish(topic, payload, { qos: 1, retain: false }).catch((error: unknown) => {
      this.log.error({ topic, err: (error as Error).message }, 'write result publish failed');
    });
  }
}

/** Who sent a command, as the audit log names it. */
function actor(packet: InboundPacket): Record<string, string | undefined> {
  const principal = packet.principal;
  return {
    clientId: packet.clientId,
    username: principal?.username,
    roles: principal && principal.roles.length > 0 ? principal.roles.join(',') : undefined,
    remote: packet.remote,
  };
}
