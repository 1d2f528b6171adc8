import { Histogram, type Registry } from 'prom-client';
import type { Buckets } from '../../shared/buckets.ts';
import type { MetricDefinition } from './collected.ts';

/** One series of a BucketHistogram: its label values, and counts in ms. */
export interface BucketSeries {
  labels: Readonly<Record<string, string>>;
  buckets: Buckets;
}

interface Point {
  /** `le`, for a bucket. */
  labels: Readonly<Record<string, string | number>>;
  /** The series' labels: one object for all its points, which prom-client formats once. */
  sharedLabels: Readonly<Record<string, string>>;
  value: number;
  metricName: string;
}

const NO_LABELS = {};

/**
 * A histogram in seconds served from counts kept elsewhere, in ms (Buckets): prom-client's Histogram counts
 * observations one by one, and these come counted already, from the connector workers and the store's
 * writer. prom-client reads a histogram through getForPromString (for /metrics, and for get()): this
 * one answers with the counts as they are when scraped.
 */
export class BucketHistogram extends Histogram<string> {
  /** The `le` label of each bucket, in seconds, and of the last one. */
  private readonly le: ReadonlyArray<Readonly<Record<string, string | number>>>;

  constructor(
    registry: Registry,
    private readonly definition: MetricDefinition,
    bounds: readonly number[],
    private readonly read: () => Iterable<BucketSeries>,
  ) {
    super({ ...definition, buckets: bounds.map((ms) => ms / 1000), registers: [registry] });
    this.le = [...bounds.map((ms) => ({ le: ms / 1000 })), { le: '+Inf' }];
  }

  async getForPromString(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: Point[] }> {
    const { name, help } = this.definition;
    const values: Point[] = [];
    const bucket = `${name}_bucket`;
    for (const { labels, buckets } of this.read()) {
      let cumulative = 0;
      this.le.forEach((le, index) => {
        cumulative += buckets.counts[index] ?? 0;
        values.push({ labels: le, sharedLabels: labels, value: cumulative, metricName: bucket });
      });
      values.push({ labels: NO_LABELS, sharedLabels: labels, value: buckets.sum / 1000, metricName: `${name}_sum` });
      values.push({ labels: NO_LABELS, sharedLabels: labels, value: cumulative, metricName: `${name}_count` });
    }
    return { name, help, type: 'histogram', aggregator: 'sum', values };
  }
}
