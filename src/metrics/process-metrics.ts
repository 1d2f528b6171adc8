import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Registry } from 'prom-client';
import { collectedCounter, collectedGauge } from './collected.ts';

/** Resolution of the event-loop delay sampling, ms. */
const LOOP_RESOLUTION_MS = 20;

/**
 * The process: memory, CPU time and event-loop lag, under the names prom-client's default metrics use.
 * The lag figures cover the time since the previous scrape. Returns what stops the lag sampling.
 */
export function processMetrics(registry: Registry): () => void {
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  loop.enable();
  collectedGauge(registry, { name: 'process_resident_memory_bytes', help: 'Resident memory size in bytes' }, () => process.memoryUsage.rss());
  collectedGauge(registry, { name: 'nodejs_heap_size_used_bytes', help: 'V8 heap used, in bytes' }, () => process.memoryUsage().heapUsed);
  collectedGauge(registry, { name: 'nodejs_heap_size_total_bytes', help: 'V8 heap allocated, in bytes' }, () => process.memoryUsage().heapTotal);
  collectedCounter(registry, { name: 'process_cpu_seconds_total', help: 'User and system CPU time, every thread, in seconds' }, () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1e6;
  });
  // The histogram holds the time between two samplings, in ns: the lag is what passes the interval.
  const lagSeconds = (ns: number) => Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS) / 1000;
  let lag = { p50: 0, p99: 0, max: 0 };
  // The registry collects in the order metrics were registered: the first takes the figures since the last scrape.
  collectedGauge(registry, { name: 'nodejs_eventloop_lag_p50_seconds', help: 'Event-loop lag, median since the last scrape' }, () => {
    lag = loop.count === 0 ? { p50: 0, p99: 0, max: 0 } : { p50: lagSeconds(loop.percentile(50)), p99: lagSeconds(loop.percentile(99)), max: lagSeconds(loop.max) };
    loop.reset();
    return lag.p50;
  });
  collectedGauge(registry, { name: 'nodejs_eventloop_lag_p99_seconds', help: 'Event-loop lag, 99th percentile since the last scrape' }, () => lag.p99);
  collectedGauge(registry, { name: 'nodejs_eventloop_lag_max_seconds', help: 'Event-loop lag, longest since the last scrape' }, () => lag.max);
  return () => loop.disable();
}
