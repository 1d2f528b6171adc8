import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { Sample } from '../../connectors/sdk.ts';
import { DeviceMetrics } from '../../src/metrics/device-metrics.ts';

const sample = (tagId: string): Sample => ({ tagId, value: 1, quality: 'good', timestamp: 0 });

async function samplesTotal(registry: Registry): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric('uns_device_samples_total')?.get();
  return Object.fromEntries((metric?.values ?? []).map((v) => [String(v.labels.device), v.value]));
}

describe('device metrics', () => {
  it('counts the samples of each device, in batches that mix devices whose names start alike', async () => {
    const registry = new Registry();
    const metrics = new DeviceMetrics(registry);
    metrics.onSamples(['press/a', 'press/b', 'press2/a', 'press/c', 'pres/a', 'press2/b'].map(sample));
    metrics.onSamples([sample('press/a')]);
    expect(await samplesTotal(registry)).toEqual({ press: 4, press2: 2, pres: 1 });
  });
});
