import type { ConnectorContext, DeviceStats, DeviceStatusReport, Sample } from '../../connectors/sdk.ts';

/** A ConnectorContext that keeps what a connector emits and reports, in order. */
export class ConnectorRecorder {
  readonly samples: Sample[] = [];
  readonly statuses: DeviceStatusReport[] = [];
  readonly stats: DeviceStats[] = [];

  readonly context: ConnectorContext = {
    emit: (samples) => void this.samples.push(...samples),
    status: (report) => void this.statuses.push(report),
    stats: (reports) => void this.stats.push(...reports),
    log: () => undefined,
  };

  /** The last sample emitted for each tag. */
  latest(): Map<string, Sample> {
    return new Map(this.samples.map((sample) => [sample.tagId, sample]));
  }
}
