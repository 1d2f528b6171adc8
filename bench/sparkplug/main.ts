/**
 * Sparkplug B benchmark:
 *   1. in-process encode cost of 10,000 tag samples as Sparkplug B DDATA (dataMetric + encodePayload, one
 *      message per device batch) against the JSON value payloads (encodeValuePayload, one message per tag);
 *   2. the gateway process's CPU and RSS at bench:modbus's load, Sparkplug off and on, alternating.
 *
 *   node --import tsx bench/sparkplug/main.ts [--help]
 */
import { parseArgs } from 'node:util';
import { intOption } from '../shared/int-option.ts';
import { runMain } from '../shared/run-main.ts';
import { fmtInt, fmtNum, formatTable } from '../shared/table.ts';
import { measureEncode, type EncodeFigures } from './encode.ts';
import { measureGatewayLoad, type LoadOptions, type LoadRun } from './gateway-load.ts';
import { optionsOrExitCode } from '../shared/command-line.ts';

const USAGE = `usage: node --import tsx bench/sparkplug/main.ts [options]
  --devices N        devices (default 10)
  --registers N      tags per device (default 1000)
  --rounds N         measured encode rounds per encoder, alternating (default 200)
  --load-rounds N    gateway off/on pairs (default 2; 0 skips the gateway part)
  --interval-ms N    poll interval (default 1000)
  --changes N        register changes per device per second (default 20)
  --warmup S         warm-up before each window (default 5)
  --window S         measurement window (default 20)
  --start SCRIPT     npm script whose node flags the gateway runs with (default start)`;

interface Options extends LoadOptions {
  encodeRounds: number;
}

function parseOptions(argv: string[]): Options | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      devices: { type: 'string' },
      registers: { type: 'string' },
      rounds: { type: 'string' },
      'load-rounds': { type: 'string' },
      'interval-ms': { type: 'string' },
      changes: { type: 'string' },
      warmup: { type: 'string' },
      window: { type: 'string' },
      start: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return null;
  return {
    devices: intOption(values.devices, 10, 'devices', 1, 200),
    registers: intOption(values.registers, 1000, 'registers', 2, 65535),
    encodeRounds: intOption(values.rounds, 200, 'rounds', 1, 10_000),
    rounds: intOption(values['load-rounds'], 2, 'load-rounds', 0, 20),
    intervalMs: intOption(values['interval-ms'], 1000, 'interval-ms', 10, 60_000),
    changesPerDeviceS: intOption(values.changes, 20, 'changes', 0, 10_000),
    warmupMs: intOption(values.warmup, 5, 'warmup', 0, 600) * 1000,
    windowMs: intOption(values.window, 20, 'window', 1, 600) * 1000,
    script: values.start ?? 'start',
  };
}

function encodeReport(all: EncodeFigures[], options: Options): string {
  const rows = all.flatMap((f) => [
    [`Sparkplug DDATA, ${f.batch}/msg`, fmtNum(f.sparkplug.nsPerMetric, 0), fmtInt(f.sparkplug.messagesPerS), fmtInt(f.sparkplug.nsPerMetric > 0 ? 1e9 / f.sparkplug.nsPerMetric : NaN), fmtNum(f.sparkplug.bytesPerMetric, 1), fmtNum(f.ratio, 2)],
    [`JSON value payload, 1/msg`, fmtNum(f.json.nsPerMetric, 0), fmtInt(f.json.messagesPerS), fmtInt(1e9 / f.json.nsPerMetric), fmtNum(f.json.bytesPerMetric, 1), '1.00'],
  ]);
  return [
    `1. Encode, in process: ${fmtInt(options.devices * options.registers)} samples (${options.devices} devices × ${options.registers} uint16 tags), median of ${options.encodeRounds} alternating rounds`,
    formatTable(['encoder, metrics per message', 'ns/metric', 'messages/s', 'metrics/s', 'bytes/metric', 'cost vs JSON (paired median)'], rows),
  ].join('\n');
}

function mean(runs: LoadRun[], pick: (run: LoadRun) => number): number {
  return runs.reduce((sum, run) => sum + pick(run), 0) / runs.length;
}

function loadReport(runs: LoadRun[], options: Options): string {
  const rows = runs.map((run) => [
    run.sparkplug ? 'on' : 'off',
    fmtNum(run.cpuPct, 1),
    fmtNum(run.rssMedianMb, 0),
    fmtNum(run.rssMaxMb, 0),
    fmtInt(run.jsonPerS),
    fmtInt(run.sparkplugPerS),
    fmtInt(run.metricsPerS),
    [...run.byType].map(([type, n]) => `${type} ${n}`).join(', '),
  ]);
  const off = runs.filter((run) => !run.sparkplug);
  const on = runs.filter((run) => run.sparkplug);
  const cpuOff = mean(off, (run) => run.cpuPct);
  const cpuOn = mean(on, (run) => run.cpuPct);
  const rssOff = mean(off, (run) => run.rssMedianMb);
  const rssOn = mean(on, (run) => run.rssMedianMb);
  const problems = runs.flatMap((run) => run.problems.map((line) => `  [sparkplug ${run.sparkplug ? 'on' : 'off'}] ${line}`));
  return [
    `2. Gateway process (npm run ${options.script} flags) at bench:modbus load: ${options.devices} devices × ${options.registers} tags, poll ${options.intervalMs} ms, ${options.changesPerDeviceS} changes/device/s; ${options.warmupMs / 1000} s warm-up, ${options.windowMs / 1000} s window per run; subscribers on bench/# (QoS 1) and spBv1.0/# (QoS 0)`,
    formatTable(['sparkplug', 'CPU % of a core', 'RSS median MB', 'RSS max MB', 'JSON msg/s', 'spB msg/s', 'spB metrics/s', 'spB messages in window'], rows, (c) => c > 0 && c < 7),
    `mean CPU: off ${fmtNum(cpuOff, 1)}%, on ${fmtNum(cpuOn, 1)}% → ratio on/off ${fmtNum(cpuOn / cpuOff, 2)}× (+${fmtNum(cpuOn - cpuOff, 1)} points)`,
    `mean RSS: off ${fmtNum(rssOff, 0)} MB, on ${fmtNum(rssOn, 0)} MB (${rssOn >= rssOff ? '+' : ''}${fmtNum(rssOn - rssOff, 0)} MB)`,
    ...(problems.length === 0 ? [] : ['gateway warnings/errors:', ...problems.slice(0, 20)]),
  ].join('\n');
}

async function main(): Promise<void> {
  const parsed = optionsOrExitCode(parseOptions, USAGE);
  if ('exitCode' in parsed) {
    process.exitCode = parsed.exitCode;
    return;
  }
  const { options } = parsed;
  const encode = [options.registers, 20].map((batch) => measureEncode(options.devices, options.registers, batch, options.encodeRounds));
  process.stdout.write(`\n${encodeReport(encode, options)}\n`);
  if (options.rounds === 0) return;
  const runs = await measureGatewayLoad(options);
  process.stdout.write(`\n${loadReport(runs, options)}\n`);
}

runMain('bench:sparkplug', main, 20 * 60_000);
