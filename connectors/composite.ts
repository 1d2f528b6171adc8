import { ErrorCodes } from '../shared/errors.ts';
import { ConnectorError } from './errors.ts';
import type { Connector, ConnectorContext, SampleValue, WriteRequest } from './sdk.ts';

/** Several connectors in one worker: each keeps its own connection; writes go to the one owning the tag. */
export class CompositeConnector implements Connector {
  constructor(private readonly parts: ReadonlyArray<{ connector: Connector; tagIds: ReadonlySet<string> }>) {}

  async start(context: ConnectorContext): Promise<void> {
    await Promise.all(this.parts.map((part) => part.connector.start(context)));
  }

  write(request: WriteRequest): Promise<{ value: SampleValue; timestamp: number }> {
    const part = this.parts.find((p) => p.tagIds.has(request.tagId));
    if (!part) return Promise.reject(new ConnectorError(ErrorCodes.WRITE_INVALID, `no tag ${request.tagId}`));
    return part.connector.write(request);
  }

  async stop(): Promise<void> {
    await Promise.all(this.parts.map((part) => part.connector.stop()));
  }
}
