import { performance } from 'node:perf_hooks';
import { Gauge, type Registry } from 'prom-client';
import { collectedCounter, collectedGauge } from './collected.ts';

/**
 * The process: memory, CPU time and the event loop, under the names prom-client's default metrics use.
 * The event loop is measured when scraped, with no timer in between: a sampling timer (monitorEventLoopDelay)
 * wakes an idle gateway up to 50 times a second, which costs more CPU than everything else here.
 */
export function processMetrics(registry: Registry): void {
  let memory = process.memoryUsage();
  // Registered first: the registry collects in order, and the two heap figures read the same snapshot.
  collectedGauge(registry, { name: 'process_resident_memory_bytes', help: 'Resident memory size in bytes' }, () => {
    memory = process.memoryUsage();
    return memory.rss;
  });
  collectedGauge(registry, { name: 'nodejs_heap_size_used_bytes', help: 'V8 heap used, in bytes' }, () => memory.heapUsed);
  collectedGauge(registry, { name: 'nodejs_heap_size_total_bytes', help: 'V8 heap allocated, in bytes' }, () => memory.heapTotal);
  collectedCounter(registry, { name: 'process_cpu_seconds_total', help: 'User and system CPU time, every thread, in seconds' }, () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1e6;
  });
  new Gauge({
    name: 'nodejs_eventloop_lag_seconds',
    help: 'Event-loop lag when scraped: how long a callback queued then waited for its turn',
    registers: [registry],
    async collect() {
      const queued = performance.now();
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.set((performance.now() - queued) / 1000);
    },
  });
  let elu = performance.eventLoopUtilization();
  const busy = { name: 'nodejs_eventloop_utilization_ratio', help: 'Share of the time the event loop was busy since the last scrape (1: saturated)' };
  collectedGauge(registry, busy, () => {
    const now = performance.eventLoopUtilization();
    const { utilization } = performance.eventLoopUtilization(now, elu);
    elu = now;
    return utilization;
  });
}
