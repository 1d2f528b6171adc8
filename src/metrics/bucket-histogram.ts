import { Histogram, type Registry } from 'prom-client';
import type { Buckets } from '../../shared/buckets.ts';
import type { MetricDefinition } from './collected.ts';

/** One series of a BucketHistogram: its label values, and counts in ms. */
export interface BucketSeries {
  labels: Readonly<Record<string, string>>;
  buckets: Buckets;
}

interface Point {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
}

/**
 * A histogram in seconds served from counts kept elsewhere, in ms (Buckets): prom-client's Histogram counts
 * observations one by one, and these come counted already, from the connector workers and the store's
 * writer. prom-client reads a histogram through getForPromString (for /metrics, and for get()): this
 * one answers with the counts as they are when scraped.
 */
export class BucketHistogram extends Histogram<string> {
  constructor(
    registry: Registry,
    private readonly definition: MetricDefinition,
    bounds: readonly number[],
    private readonly read: () => Iterable<BucketSeries>,
  ) {
    super({ ...definition, buckets: bounds.map((ms) => ms / 1000), registers: [registry] });
  }

  async getForPromString(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: Point[] }> {
    const { name, help } = this.definition;
    const values: Point[] = [];
    for (const { labels, buckets } of this.read()) {
      let cumulative = 0;
      buckets.bounds.forEach((bound, index) => {
        cumulative += buckets.counts[index] ?? 0;
        values.push({ labels: { ...labels, le: bound / 1000 }, value: cumulative, metricName: `${name}_bucket` });
      });
      cumulative += buckets.counts[buckets.bounds.length] ?? 0;
      values.push({ labels: { ...labels, le: '+Inf' }, value: cumulative, metricName: `${name}_bucket` });
      values.push({ labels: { ...labels }, value: buckets.sum / 1000, metricName: `${name}_sum` });
      values.push({ labels: { ...labels }, value: cumulative, metricName: `${name}_count` });
    }
    return { name, help, type: 'histogram', aggregator: 'sum', values };
  }
}
