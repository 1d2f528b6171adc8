import { describe, expect, it } from 'vitest';
import type { DeviceStatusReport, Sample } from '../../connectors/sdk.ts';
import { Northbound } from '../../src/northbound/northbound.ts';
import { captureLog } from '../helpers/log-capture.ts';

const sample = (tagId: string, value: number, timestamp: number): Sample => ({ tagId, value, quality: 'good', timestamp });

describe('northbound fan-out', () => {
  it('hands every event to every consumer in the order they were added, past one that throws', () => {
    const capture = captureLog('error');
    const northbound = new Northbound(capture.log);
    const seen: string[] = [];
    northbound.add({ name: 'first', onSamples: (samples) => seen.push(`first:${samples.length}`) });
    northbound.add({
      name: 'broken',
      onSamples: () => {
        throw new Error('boom');
      },
    });
    northbound.add({ name: 'status only', onStatus: (report: DeviceStatusReport) => seen.push(`status:${report.device}:${report.state}`) });
    northbound.add({ name: 'last', onSamples: (samples) => seen.push(`last:${samples.map((s) => s.tagId).join(',')}`) });
    northbound.onSamples([sample('plc/a', 1, 10), sample('plc/b', 2, 10)]);
    northbound.onStatus({ device: 'plc', state: 'connected', timestamp: 11 });
    expect(seen).toEqual(['first:2', 'last:plc/a,plc/b', 'status:plc:connected']);
    expect(capture.lines.map((line) => [line.consumer, line.err])).toEqual([['broken', 'boom']]);
  });

  it('keeps the latest sample of every tag for any consumer to read', () => {
    const northbound = new Northbound(captureLog('error').log);
    expect(northbound.latest('plc/a')).toBeUndefined();
    northbound.onSamples([sample('plc/a', 1, 10), sample('plc/b', 2, 10)]);
    northbound.onSamples([sample('plc/a', 3, 20)]);
    expect([northbound.latest('plc/a')?.value, northbound.latest('plc/a')?.timestamp, northbound.latest('plc/b')?.value]).toEqual([3, 20, 2]);
  });
});
