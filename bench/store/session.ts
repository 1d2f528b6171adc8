/** What one bench:store run shares: its output, failures and warnings, the gateways it starts and stops, CPU shares. */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { startGateway, type DbSize, type Engine, type RunningGateway } from '../shared/store-gateway.ts';
import type { StopResult } from '../shared/process.ts';
import { profileFiles } from './profile.ts';
import type { ReadResult } from './protocol.ts';
import { fmtInt, fmtMs, fmtNum, fmtPct, type Verdict } from './report.ts';
import { type Measured } from './runner.ts';
import { START_TIMEOUT_MS, STOP_GRACE_MS, type Options } from './options.ts';

export const out = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

export const failures: string[] = [];
export const warnings: string[] = [];

export function fail(what: string): void {
  failures.push(what);
  out(`  FAILURE: ${what}`);
}

export function verdict(ok: boolean): Verdict {
  return ok ? 'PASS' : 'MISS';
}

export class Bench {
  private profileDirs: Array<{ title: string; dir: string }> = [];

  constructor(
    private readonly opts: Options,
    private readonly root: string,
  ) {}

  async start(engine: Engine, dir: string, title: string): Promise<RunningGateway> {
    mkdirSync(dir, { recursive: true });
    let cpuProfDir: string | undefined;
    if (this.opts.profile && engine === 'sqlite') {
      cpuProfDir = path.join(this.root, `prof-${this.profileDirs.length + 1}`);
      mkdirSync(cpuProfDir);
      this.profileDirs.push({ title, dir: cpuProfDir });
    }
    return startGateway({ engine, dir, startTimeoutMs: START_TIMEOUT_MS, cpuProfDir });
  }

  async stop(gw: RunningGateway, what: string): Promise<StopResult> {
    const r = await gw.stop(STOP_GRACE_MS);
    if (r.forced || r.code !== 0) {
      fail(`${what}: SIGINT stop was not clean (code ${r.code}, signal ${r.signal}${r.forced ? ', killed' : ''})\n${gw.logTail()}`);
    }
    for (const e of gw.errors()) warnings.push(`${what} logged an error: ${e}`);
    return r;
  }

  profiles(): Array<{ title: string; files: string[] }> {
    return this.profileDirs.map((p) => ({ title: p.title, files: profileFiles(p.dir) }));
  }
}

export interface RetainedRead {
  m: Measured<ReadResult>;
  /** RSS after the read. */
  rss: number;
  /** RSS just before the new subscriber connected, and its peak until all retained values arrived. */
  rssBefore: number;
  rssPeak: number;
  size: DbSize | undefined;
}

/** Highest CPU share (of one core) used by other processes during any measured interval. */
let maxOtherCpu = 0;

export function otherCpuPeak(): number {
  return maxOtherCpu;
}
export const OTHER_CPU_WARN = 0.25;

/** CPU use during a measured interval, as shares of one core: gateway, load generator, everything else. */
export function cpuShares(gatewayCpuSec: number, hostCpuSec: number, loadgenCpuMs: number, elapsedMs: number): string {
  const wall = elapsedMs / 1000;
  const other = Math.max(0, hostCpuSec - gatewayCpuSec - loadgenCpuMs / 1000) / wall;
  maxOtherCpu = Math.max(maxOtherCpu, other);
  return `CPU broker ${fmtPct(gatewayCpuSec / wall)}, loadgen ${fmtPct(loadgenCpuMs / elapsedMs)}, other ${fmtPct(other)}`;
}

export function readLine(label: string, m: Measured<ReadResult>, expected: number): string {
  const r = m.result;
  return (
    `  ${label.padEnd(26)} ${fmtInt(r.received)}/${fmtInt(expected)} retained in ${fmtMs(r.elapsedMs)}` +
    ` (SUBACK ${fmtNum(r.subackMs, 1)} ms, first ${fmtNum(r.firstMs, 1)} ms)` +
    `, ${cpuShares(m.gatewayCpuSec, m.hostCpuSec, r.loadgenCpuMs, r.elapsedMs)}`
  );
}
