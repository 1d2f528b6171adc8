import type { SampleValue, WriteRequest, WriteResult } from '../../connectors/sdk.ts';
import { describePrincipal, type Principal } from '../access/principal.ts';
import { ErrorCodes } from '../../shared/errors.ts';
import { GatewayError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { NamespaceTag } from '../uns/namespace.ts';
import { checkSetValue } from '../uns/set-command.ts';

/** Where writes go: the connector host, which answers every write, never rejecting. */
export interface TagWriter {
  write(device: string, tagName: string, value: WriteRequest['value']): Promise<WriteResult>;
}

/** How a write reached the gateway, for the audit log: the client and address it came through, and its correlation id. */
export interface WriteOrigin {
  clientId?: string | undefined;
  remote?: string | undefined;
  /** The topic (or other address) the command came on. */
  topic?: string | undefined;
  id?: string | undefined;
}

/** Told the outcome of every write (the metrics count them). */
export interface WriteObserver {
  /** `device` is undefined for a command refused before it named a known tag; `code` undefined for a write done. */
  onWrite(device: string | undefined, code: string | undefined): void;
}

export type WriteOutcome = { ok: true; value: SampleValue; timestamp: number } | { ok: false; error: GatewayError };

/**
 * Every write to a PLC, whatever it came through (MQTT `/set` now, the bridge and Sparkplug commands
 * later): who is writing (a principal) and which tag → checks (writable, the principal's write rights,
 * kind of value, min/max) → the connector → its read-back. Nothing that fails a check reaches the PLC,
 * and every attempt is logged with who, where from, what and the outcome.
 */
export class WriteService {
  constructor(
    private readonly writer: TagWriter,
    private readonly log: Logger,
    private readonly observer?: WriteObserver,
  ) {}

  async write(principal: Principal | undefined, tag: NamespaceTag, value: unknown, origin: WriteOrigin): Promise<WriteOutcome> {
    const who = { ...audit(principal, origin), tag: tag.id };
    try {
      if (!tag.config.writable) throw new GatewayError(ErrorCodes.SET_NOT_WRITABLE, `tag ${tag.id} is not mapped writable`);
      if (!principal?.mayWrite(tag.topic)) {
        throw new GatewayError(
          ErrorCodes.SET_FORBIDDEN,
          `${describePrincipal(principal)} may not write ${tag.topic} (access.roles[].write; access.users[].write for a user without roles)`,
        );
      }
      const checked = checkSetValue(tag, value);
      const result = await this.writer.write(tag.device, tag.config.name, checked);
      if (!result.ok) throw new GatewayError(result.error.code, result.error.message);
      this.log.info({ ...who, value: String(checked), readBack: String(result.value) }, 'write done');
      this.observer?.onWrite(tag.device, undefined);
      return { ok: true, value: result.value, timestamp: result.timestamp };
    } catch (error) {
      const failure = error instanceof GatewayError ? error : new GatewayError(ErrorCodes.WRITE_FAILED, (error as Error).message);
      this.refused(principal, failure, origin, tag.id, tag.device);
      return { ok: false, error: failure };
    }
  }

  /**
   * Logs a refused write, and tells the observer. From outside: one refused before it named a tag the
   * service could check (a malformed command, an unknown tag); `device` is known only from inside.
   */
  refused(principal: Principal | undefined, failure: GatewayError, origin: WriteOrigin, tagId?: string, device?: string): void {
    this.observer?.onWrite(device, failure.code);
    this.log.warn({ ...audit(principal, origin), ...(tagId === undefined ? {} : { tag: tagId }), code: failure.code, err: failure.message }, 'write refused');
  }
}

function audit(principal: Principal | undefined, origin: WriteOrigin): Record<string, string | undefined> {
  return {
    clientId: principal?.clientId ?? origin.clientId,
    username: principal?.username,
    roles: principal && principal.roles.length > 0 ? principal.roles.join(',') : undefined,
    remote: origin.remote,
    topic: origin.topic,
    id: origin.id,
  };
}
