/**
 * The cost of metrics: the gateway's CPU per message under the bench:broker and bench:modbus loads, with
 * metrics off (no http: listener) and on (/metrics scraped every second, as Prometheus would), in the
 * same run, alternating, repeated; medians and the on/off ratio (target: at most 1.03).
 *
 *   node --import tsx bench/metrics/main.ts [--help]
 */
import os from 'node:os';
import { cleanupNow } from '../shared/cleanup.ts';
import { distWarning } from '../shared/measured-gateway.ts';
import { REPO_ROOT } from '../shared/repo-root.ts';
import { brokerLoad } from './broker-load.ts';
import type { Measurement } from './measurement.ts';
import { modbusLoad } from './modbus-load.ts';
import { parseOptions, USAGE } from './options.ts';
import { report } from './report.ts';
import { optionsOrExitCode } from '../shared/command-line.ts';

function progress(line: string): void {
  process.stderr.write(`[bench:metrics] ${line}\n`);
}

async function main(): Promise<number> {
  const parsed = optionsOrExitCode(parseOptions, USAGE);
  if ('exitCode' in parsed) return parsed.exitCode;
  const { options } = parsed;
  const stale = distWarning(REPO_ROOT);
  if (stale !== undefined) progress(`warning: ${stale}`);
  process.stdout.write(`UNS gateway metrics cost: ${os.cpus().length} CPU(s) ${os.cpus()[0]?.model ?? ''}, node ${process.version}\n`);
  process.stdout.write(`  ${options.runs} runs of each load with metrics off and on; /metrics scraped every ${options.scrapeMs} ms with metrics on\n`);
  const measurements: Measurement[] = [];
  if (options.loads.includes('broker')) measurements.push(...(await brokerLoad(options, progress)));
  if (options.loads.includes('modbus')) measurements.push(...(await modbusLoad(options, progress)));
  process.stdout.write(`\n${report(measurements, options.scrapeMs)}\n`);
  return 0;
}

main().then(
  (code) => {
    cleanupNow();
    process.exit(code);
  },
  (error: unknown) => {
    process.stderr.write(`bench:metrics failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    cleanupNow();
    process.exit(1);
  },
);
