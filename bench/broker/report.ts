import { cpuUsPerMsg, type BrokerSummary, type RunRecord } from './summary.ts';
import { fmtInt, fmtNum, fmtPct, formatTable } from '../shared/table.ts';

export const TARGET_THROUGHPUT_RATIO = 0.9; // gateway / mosquitto, higher is better
export const TARGET_CPU_RATIO = 1.2; // gateway / mosquitto, lower is better
export const TARGET_QOS1_CPU_RATIO = 1.25; // gateway / mosquitto, lower is better

/** One progress line per repetition. */
export function runLine(run: number, runs: number, rec: RunRecord, planned: number): string {
  const f = rec.fanin;
  const fan =
    f.result.phase === 'fanin'
      ? `fan-in ${fmtInt(f.result.msgPerSec)} msg/s (${fmtInt(f.result.received)} of ${fmtInt(planned)} rcvd)`
      : '';
  const r = rec.rtt?.result;
  const rtt =
    rec.rtt !== undefined && r?.phase === 'rtt'
      ? ` | QoS1 p50 ${fmtNum(r.p50Ms, 3)} ms p99 ${fmtNum(r.p99Ms, 3)} ms, ${fmtNum(cpuUsPerMsg(rec.rtt), 2)} µs CPU/msg` +
        (rec.pipelined === undefined ? '' : `, pipelined ${fmtNum(cpuUsPerMsg(rec.pipelined), 2)} µs CPU/msg`)
      : '';
  return `  run ${run}/${runs} ${rec.broker.padEnd(15)} ${fan}, ${fmtNum(cpuUsPerMsg(f), 2)} µs CPU/msg${rtt}`;
}

export function summaryTable(summaries: readonly BrokerSummary[], pipeline: number): string {
  return formatTable(
    [
      'variant',
      'runs',
      'QoS0 fan-in msg/s',
      'CPU µs/msg',
      'broker CPU',
      'loadgen CPU',
      'other CPU',
      'lost',
      'QoS1 p50 ms',
      'QoS1 p99 ms',
      'QoS1 CPU µs/msg',
      `QoS1 x${pipeline} CPU µs/msg`,
    ],
    summaries.map((s) => [
      s.broker,
      String(s.runs),
      fmtInt(s.msgPerSec),
      fmtNum(s.faninCpuUsPerMsg, 2),
      fmtPct(s.brokerBusy),
      fmtPct(s.loadgenBusy),
      fmtPct(s.otherBusy),
      fmtInt(s.lost),
      fmtNum(s.p50Ms, 3),
      fmtNum(s.p99Ms, 3),
      fmtNum(s.rttCpuUsPerMsg, 2),
      fmtNum(s.pipelinedCpuUsPerMsg, 2),
    ]),
  );
}

function verdict(ok: boolean): string {
  return ok ? 'PASS' : 'MISS';
}

/** Ratio lines gateway/mosquitto with the targets next to them. */
export function comparisonLines(gw: BrokerSummary, mq: BrokerSummary, noisy: boolean, qos1Windows: { window: number; pipeline: number }): string[] {
  const { window, pipeline } = qos1Windows;
  const flag = noisy ? '   (unreliable: host busy with other work)' : '';
  const tput = gw.msgPerSec / mq.msgPerSec;
  const cpu = gw.faninCpuUsPerMsg / mq.faninCpuUsPerMsg;
  const rttCpu = gw.rttCpuUsPerMsg / mq.rttCpuUsPerMsg;
  const pipelinedCpu = gw.pipelinedCpuUsPerMsg / mq.pipelinedCpuUsPerMsg;
  const qos1 = (ratio: number) => `${fmtNum(ratio, 2)}x   target <= ${TARGET_QOS1_CPU_RATIO}x   ${verdict(ratio <= TARGET_QOS1_CPU_RATIO)}${flag}`;
  const p50 = gw.p50Ms / mq.p50Ms;
  const p99 = gw.p99Ms / mq.p99Ms;
  return [
    `gateway / mosquitto:`,
    `  QoS0 fan-in throughput   ${fmtNum(tput, 2)}x   target >= ${TARGET_THROUGHPUT_RATIO}x   ${verdict(tput >= TARGET_THROUGHPUT_RATIO)}${flag}`,
    `  QoS0 broker CPU per msg  ${fmtNum(cpu, 2)}x   target <= ${TARGET_CPU_RATIO}x   ${verdict(cpu <= TARGET_CPU_RATIO)}${flag}`,
    `  QoS1 broker CPU per msg, ${`${window} in flight`.padEnd(12)} ${qos1(rttCpu)}`,
    ...(pipeline > 0 ? [`  QoS1 broker CPU per msg, ${`${pipeline} in flight`.padEnd(12)} ${qos1(pipelinedCpu)}`] : []),
    `  QoS1 latency p50 / p99   ${fmtNum(p50, 2)}x / ${fmtNum(p99, 2)}x   (info)`,
  ];
}

/**
 * The gateway against bare aedes, for the same loads: what the gateway's own work (access checks, store,
 * guards, counters) adds per message, apart from what aedes, node and the system cost anyway.
 */
export function aedesLines(gw: BrokerSummary, aedes: BrokerSummary, qos1Windows: { window: number; pipeline: number }): string[] {
  const line = (what: string, g: number, a: number) => `  ${what.padEnd(36)} ${fmtNum(g, 2)} vs ${fmtNum(a, 2)} µs   ${fmtNum(g / a, 2)}x   (info)`;
  return [
    'gateway / bare aedes (CPU per message):',
    line('QoS0 fan-in', gw.faninCpuUsPerMsg, aedes.faninCpuUsPerMsg),
    line(`QoS1, ${qos1Windows.window} in flight`, gw.rttCpuUsPerMsg, aedes.rttCpuUsPerMsg),
    ...(qos1Windows.pipeline > 0 ? [line(`QoS1, ${qos1Windows.pipeline} in flight`, gw.pipelinedCpuUsPerMsg, aedes.pipelinedCpuUsPerMsg)] : []),
  ];
}

export const TARGET_ACL_CPU_RATIO = 1.05; // with the ACL / without, lower is better

/** Ratio lines with the ACL / without it, for one load, with the target for the broker CPU per message. */
export function aclLines(plain: BrokerSummary, acl: BrokerSummary, noisy: boolean): string[] {
  const flag = noisy ? '   (unreliable: host busy with other work)' : '';
  const cpu = acl.faninCpuUsPerMsg / plain.faninCpuUsPerMsg;
  const lines = [
    `    QoS0 broker CPU per msg  ${fmtNum(cpu, 3)}x   target <= ${TARGET_ACL_CPU_RATIO}x   ${verdict(cpu <= TARGET_ACL_CPU_RATIO)}${flag}`,
    `    QoS0 fan-in throughput   ${fmtNum(acl.msgPerSec / plain.msgPerSec, 3)}x   (info)`,
  ];
  if (Number.isFinite(acl.p50Ms) && Number.isFinite(plain.p50Ms)) {
    lines.push(
      `    QoS1 broker CPU per msg  ${fmtNum(acl.rttCpuUsPerMsg / plain.rttCpuUsPerMsg, 3)}x   (info)`,
      `    QoS1 latency p50 / p99   ${fmtNum(acl.p50Ms / plain.p50Ms, 2)}x / ${fmtNum(acl.p99Ms / plain.p99Ms, 2)}x   (info)`,
    );
  }
  return lines;
}
