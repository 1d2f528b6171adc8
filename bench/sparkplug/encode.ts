/**
 * In-process encode cost of the same samples two ways: Sparkplug B DDATA (dataMetric + encodePayload per
 * device batch, as SparkplugEdgeNode.onSamples builds it) and the JSON value payload (encodeValuePayload per
 * sample, as NamespacePublisher.publish builds it). Rounds alternate between the two, after warm-up rounds;
 * the median round counts (garbage collection included, as it falls), and the median of the paired ratios.
 */
import { performance } from 'node:perf_hooks';
import { median } from '../shared/stats.ts';
import type { Sample } from '../../connectors/sdk.ts';
import { encodePayload } from '../../src/sparkplug/codec.ts';
import { DataType } from '../../src/sparkplug/datatypes.ts';
import { dataMetric, type MetricDefinition } from '../../src/sparkplug/metrics.ts';
import type { NamespaceTag } from '../../src/uns/namespace.ts';
import { encodeValuePayload } from '../../src/uns/payload.ts';

export interface EncodeFigures {
  batch: number;
  metrics: number;
  sparkplug: { nsPerMetric: number; messagesPerS: number; bytesPerMetric: number };
  json: { nsPerMetric: number; messagesPerS: number; bytesPerMetric: number };
  /** Median over rounds of Sparkplug time / JSON time, each pair run back to back. */
  ratio: number;
}

interface Device {
  definitions: MetricDefinition[];
}

function makeDevices(devices: number, tagsPerDevice: number): Device[] {
  return Array.from({ length: devices }, (_, d) => {
    const name = `dev-${String(d + 1).padStart(2, '0')}`;
    const definitions = Array.from({ length: tagsPerDevice }, (_, i): MetricDefinition => {
      const tag: NamespaceTag = {
        id: `${name}/r${i}`,
        device: name,
        protocol: 'modbus',
        topic: `bench/${name}/plc/r${i}`,
        qos: 1,
        config: { name: `r${i}`, register: 'holding', address: i, dataType: 'uint16' } as unknown as NamespaceTag['config'],
      };
      return { tag, name: `${name}/plc/r${i}`, alias: d * tagsPerDevice + i + 1, datatype: DataType.UInt16 };
    });
    return { definitions };
  });
}

/** Every tag once, in batches of `batch` samples of one device (a scan's changed registers). */
function makeBatches(devices: Device[], batch: number, round: number): Array<{ definitions: MetricDefinition[]; samples: Sample[] }> {
  const now = Date.now();
  const batches: Array<{ definitions: MetricDefinition[]; samples: Sample[] }> = [];
  for (const device of devices) {
    for (let start = 0; start < device.definitions.length; start += batch) {
      const definitions = device.definitions.slice(start, start + batch);
      const samples = definitions.map((definition, i): Sample => ({ tagId: definition.tag.id, value: (round * 7919 + start + i) % 65536, quality: 'good', timestamp: now + i }));
      batches.push({ definitions, samples });
    }
  }
  return batches;
}

type Batches = ReturnType<typeof makeBatches>;

/** One pass of Sparkplug encoding over every batch: [elapsed ms, messages, bytes]. */
function sparkplugPass(batches: Batches, seq: { next: number }): [number, number, number] {
  let bytes = 0;
  const t0 = performance.now();
  for (const { definitions, samples } of batches) {
    const metrics = samples.map((sample, i) => dataMetric(definitions[i] as MetricDefinition, sample));
    const payload = encodePayload({ timestamp: Date.now(), seq: seq.next, metrics });
    seq.next = (seq.next + 1) % 256;
    bytes += payload.length;
  }
  return [performance.now() - t0, batches.length, bytes];
}

/** One pass of JSON encoding, one payload per sample: [elapsed ms, messages, bytes]. */
function jsonPass(batches: Batches): [number, number, number] {
  let bytes = 0;
  let messages = 0;
  const t0 = performance.now();
  for (const { definitions, samples } of batches) {
    samples.forEach((sample, i) => {
      const payload = encodeValuePayload({ value: sample.value, timestamp: sample.timestamp, quality: sample.quality, status: sample.status, unit: definitions[i]?.tag.unit });
      bytes += payload.length;
      messages++;
    });
  }
  return [performance.now() - t0, messages, bytes];
}

const WARMUP_ROUNDS = 20;

/** Alternates the two encoders over fresh samples (each pass covers every tag once); `rounds` are measured. */
export function measureEncode(devices: number, tagsPerDevice: number, batch: number, rounds: number): EncodeFigures {
  const model = makeDevices(devices, tagsPerDevice);
  const metrics = devices * tagsPerDevice;
  const seq = { next: 0 };
  const passes: { sparkplug: Array<[number, number, number]>; json: Array<[number, number, number]> } = { sparkplug: [], json: [] };
  for (let round = 0; round < WARMUP_ROUNDS + rounds; round++) {
    const batches = makeBatches(model, batch, round);
    const sp = sparkplugPass(batches, seq);
    const js = jsonPass(batches);
    if (round < WARMUP_ROUNDS) continue;
    passes.sparkplug.push(sp);
    passes.json.push(js);
  }
  const figures = (list: Array<[number, number, number]>): EncodeFigures['json'] => {
    const ms = median(list.map((pass) => pass[0]));
    const [, messages, bytes] = list[0] ?? [0, 0, 0];
    return { nsPerMetric: (ms * 1e6) / metrics, messagesPerS: messages / (ms / 1000), bytesPerMetric: bytes / metrics };
  };
  const ratio = median(passes.sparkplug.map((pass, i) => pass[0] / (passes.json[i]?.[0] ?? NaN)));
  return { batch, metrics, sparkplug: figures(passes.sparkplug), json: figures(passes.json), ratio };
}
