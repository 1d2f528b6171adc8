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

  it("keeps a tag's latest sample exactly: a status or unit of an earlier sample does not stay, and a copy read earlier does not change", () => {
    const northbound = new Northbound(captureLog('error').log);
    northbound.onSamples([{ tagId: 'plc/a', value: null, quality: 'bad', status: 'BadNoCommunication', timestamp: 10, unit: 'bar' }]);
    const earlier = northbound.latest('plc/a');
    northbound.onSamples([{ tagId: 'plc/a', value: 2.5, quality: 'good', timestamp: 20 }]);
    expect(Object.entries(northbound.latest('plc/a') ?? {})).toEqual([['tagId', 'plc/a'], ['value', 2.5], ['quality', 'good'], ['timestamp', 20]]);
    expect(Object.entries(earlier ?? {})).toEqual([['tagId', 'plc/a'], ['value', null], ['quality', 'bad'], ['timestamp', 10], ['status', 'BadNoCommunication'], ['unit', 'bar']]);
    northbound.onSamples([{ tagId: 'plc/a', value: 3, quality: 'uncertain', status: 'UncertainLastUsableValue', timestamp: 30, unit: 'kPa' }]);
    expect(northbound.latest('plc/a')).toStrictEqual({ tagId: 'plc/a', value: 3, quality: 'uncertain', status: 'UncertainLastUsableValue', timestamp: 30, unit: 'kPa' });
  });
});
