import { Counter, Gauge, type Registry } from 'prom-client';

/** One series: its label values, and its value. */
export type Series = readonly [labels: Readonly<Record<string, string>>, value: number];

export interface MetricDefinition {
  name: string;
  help: string;
  labelNames?: readonly string[];
}

/** A value without labels, or one value per label set. */
type Reading = number | Iterable<Series>;

function each(reading: Reading, put: (labels: Readonly<Record<string, string>>, value: number) => void): void {
  if (typeof reading === 'number') put({}, reading);
  else for (const [labels, value] of reading) put(labels, value);
}

/**
 * A counter read from the gateway's own counts when it is scraped: nothing runs between scrapes. Each
 * scrape starts afresh, so a label set no longer read (a bridge removed) disappears.
 */
export function collectedCounter(registry: Registry, definition: MetricDefinition, read: () => Reading): void {
  new Counter({
    ...definition,
    registers: [registry],
    collect() {
      this.reset();
      each(read(), (labels, value) => this.inc(labels, value));
    },
  });
}

/** A gauge read when it is scraped; as collectedCounter. */
export function collectedGauge(registry: Registry, definition: MetricDefinition, read: () => Reading): void {
  new Gauge({
    ...definition,
    registers: [registry],
    collect() {
      this.reset();
      each(read(), (labels, value) => this.set(labels, value));
    },
  });
}
