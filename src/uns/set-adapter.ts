import { SET_RESULT_SUFFIX, SET_SUFFIX } from '../../schemas/topic-level.ts';
import { ErrorCodes } from '../../shared/errors.ts';
import { GatewayError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { WriteOutcome, WriteService } from '../writes/write-service.ts';
import { jsonValue } from './payload.ts';
import { parseSetPayload } from './set-command.ts';
import type { CommandBus, InboundMessage } from './message-bus.ts';
import type { TagIndex } from './tag-index.ts';

/**
 * MQTT's way into the write service: `<tag>/set` with `{"value": …, "id": "…"}` or a bare JSON value,
 * answered on `<tag>/set/result`, on the bus the command came through (the broker, or a bridge's
 * upstream). A `/set` on a topic no tag is mapped to is answered too, so that a typo is not met with silence.
 */
export class SetAdapter {
  constructor(
    private readonly index: TagIndex,
    private readonly bus: CommandBus,
    private readonly writes: WriteService,
    private readonly log: Logger,
  ) {}

  private readonly subscribed = new Set<string>();

  /** Subscribes to every tag's `/set` topic; again after a reload, for topic depths it has no filter for yet. */
  async start(): Promise<void> {
    const route = (message: InboundMessage): void => void this.handle(message);
    const filters = this.index.setFilters().filter((filter) => !this.subscribed.has(filter));
    for (const filter of filters) this.subscribed.add(filter);
    await Promise.all(filters.map((filter) => this.bus.subscribe(filter, route)));
  }

  private async handle(message: InboundMessage): Promise<void> {
    const tagTopic = message.topic.slice(0, -SET_SUFFIX.length);
    const origin = { clientId: message.clientId, remote: message.remote, topic: message.topic };
    let id: string | undefined;
    let outcome: WriteOutcome;
    const tag = this.index.bySetTopic(message.topic);
    try {
      const command = parseSetPayload(message.payload);
      id = command.id;
      if (tag === undefined) throw unknownTag(tagTopic);
      outcome = await this.writes.write(message.principal, tag, command.value, { ...origin, id });
    } catch (error) {
      const failure = error instanceof GatewayError ? error : new GatewayError(ErrorCodes.WRITE_FAILED, (error as Error).message);
      // The unknown topic is the error to report, whatever the payload.
      const reported = tag === undefined ? unknownTag(tagTopic) : failure;
      this.writes.refused(message.principal, reported, { ...origin, id });
      outcome = { ok: false, error: reported };
    }
    await this.reply(tagTopic + SET_RESULT_SUFFIX, resultPayload(outcome, id));
  }

  private reply(topic: string, payload: string): Promise<void> {
    return this.bus.publish(topic, payload, { qos: 1, retain: false }).catch((error: unknown) => {
      this.log.error({ topic, err: (error as Error).message }, 'write result publish failed');
    });
  }
}

function unknownTag(tagTopic: string): GatewayError {
  return new GatewayError(ErrorCodes.SET_UNKNOWN_TAG, `no tag is mapped to ${tagTopic}: check the topic (uns-gateway validate lists them)`);
}

function resultPayload(outcome: WriteOutcome, id: string | undefined): string {
  const idField = id === undefined ? '' : `,"id":${JSON.stringify(id)}`;
  if (outcome.ok) return `{"ok":true${idField},"value":${jsonValue(outcome.value)},"timestamp":${outcome.timestamp}}`;
  return JSON.stringify({ ok: false, ...(id === undefined ? {} : { id }), error: { code: outcome.error.code, message: outcome.error.message } });
}
