import type { PhaseMeasurement } from './run-phase.ts';
import { median } from '../shared/stats.ts';

/** One repetition of a variant: fan-in, and the QoS 1 round trip unless the variant leaves it out. */
export interface RunRecord {
  /** The variant's name: the broker, and for the gateway its access rules and load. */
  broker: string;
  fanin: PhaseMeasurement;
  rtt: PhaseMeasurement | undefined;
  /** The QoS 1 round trip again with many in flight (--rtt-pipeline). */
  pipelined: PhaseMeasurement | undefined;
}

/** Per-variant medians over its repetitions. */
export interface BrokerSummary {
  broker: string;
  runs: number;
  msgPerSec: number;
  faninCpuUsPerMsg: number;
  /** Broker CPU time / wall time during fan-in (1.0 = one core fully busy). */
  brokerBusy: number;
  /** Load generator CPU time / wall time during fan-in. */
  loadgenBusy: number;
  /** CPU used by everything else on the host during fan-in (cores), median and worst run. */
  otherBusy: number;
  otherBusyMax: number;
  /** Runs whose fan-in shared the host with more than `noiseLimit` cores of other work. */
  disturbedRuns: number;
  lost: number;
  p50Ms: number;
  p99Ms: number;
  rttCpuUsPerMsg: number;
  pipelinedCpuUsPerMsg: number;
}

export function cpuUsPerMsg(m: PhaseMeasurement): number {
  return m.messages > 0 ? (m.brokerCpuSec * 1e6) / m.messages : Number.NaN;
}

/** Cores used by processes other than the broker and the load generator during a phase. */
export function otherBusy(m: PhaseMeasurement): number {
  const wallSec = m.result.elapsedMs / 1000;
  // Clamped at 0: tick rounding can make the difference slightly negative.
  return Math.max(0, (m.hostCpuSec - m.brokerCpuSec - m.result.loadgenCpuMs / 1000) / wallSec);
}

export function summarize(broker: string, records: readonly RunRecord[], noiseLimit: number): BrokerSummary {
  const fan = records.map((r) => r.fanin);
  const faninResults = fan.flatMap((m) => (m.result.phase === 'fanin' ? [m.result] : []));
  const rtts = records.flatMap((r) => (r.rtt === undefined ? [] : [r.rtt]));
  const rttResults = rtts.flatMap((m) => (m.result.phase === 'rtt' ? [m.result] : []));
  return {
    broker,
    runs: records.length,
    msgPerSec: median(faninResults.map((r) => r.msgPerSec)),
    faninCpuUsPerMsg: median(fan.map(cpuUsPerMsg)),
    brokerBusy: median(fan.map((m) => m.brokerCpuSec / (m.result.elapsedMs / 1000))),
    loadgenBusy: median(fan.map((m) => m.result.loadgenCpuMs / m.result.elapsedMs)),
    otherBusy: median(fan.map(otherBusy)),
    otherBusyMax: Math.max(...fan.map(otherBusy)),
    disturbedRuns: fan.filter((m) => otherBusy(m) > noiseLimit).length,
    lost: faninResults.reduce((sum, r) => sum + (r.sent - r.received), 0),
    p50Ms: median(rttResults.map((r) => r.p50Ms)),
    p99Ms: median(rttResults.map((r) => r.p99Ms)),
    rttCpuUsPerMsg: median(rtts.map(cpuUsPerMsg)),
    pipelinedCpuUsPerMsg: median(records.flatMap((r) => (r.pipelined === undefined ? [] : [cpuUsPerMsg(r.pipelined)]))),
  };
}
