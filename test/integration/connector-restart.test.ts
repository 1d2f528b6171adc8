// A connector worker that dies is restarted with backoff; meanwhile its tags are bad and its writes answered.
// The worker is a real one: a Modbus RTU line runs in a child process of its own, which the test kills.
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceStatusReport, Sample, WriteResult } from '../../connectors/sdk.ts';
import { deviceSchema } from '../../schemas/mapping.ts';
import { ErrorCodes } from '../../shared/errors.ts';
import { ConnectorHost } from '../../src/connector-host/host.ts';
import { createLogger } from '../../src/log.ts';
import { sleep } from '../helpers/mqtt.ts';
import { ptyPair, socatMissing, type PtyPair } from '../helpers/pty-pair.ts';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.ts';
import { until } from '../helpers/until.ts';

/** This process's child processes, from /proc (no procps needed). */
function childPids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => {
      try {
        // The fields after the command's closing parenthesis: state, then the parent's pid.
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid;
      } catch {
        return false;
      }
    });
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/** The pid of this process's connector worker child, once it runs. */
async function workerPid(): Promise<number> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const pid = childPids().find((child) => commandLine(child).includes('connectors/worker.js'));
    if (pid !== undefined) return pid;
    await sleep(20);
  }
  throw new Error('no connector worker process');
}

const missing = socatMissing();
if (missing !== undefined) console.warn(`skipping the connector restart test: ${missing}`);

describe.skipIf(missing !== undefined)('a crashed connector worker', () => {
  let dir: TempDir;
  let pty: PtyPair;

  beforeAll(async () => {
    dir = makeTempDir();
    pty = await ptyPair(dir.path);
  });
  afterAll(async () => {
    await pty?.close();
    dir?.remove();
  });

  it('is restarted with backoff, its tags bad meanwhile and its pending write answered', async () => {
    // Nothing answers on the other end of the line: a write waits for its reply until the worker dies.
    const device = deviceSchema.parse({
      name: 'tank',
      protocol: 'modbus',
      transport: { type: 'rtu', path: pty.b, baudRate: 38400 },
      timeoutMs: 1000,
      pollGroups: { default: { intervalMs: 1000 } },
      tags: [
        { name: 'level', register: 'holding', address: 0, dataType: 'uint16' },
        { name: 'setpoint', register: 'holding', address: 2, dataType: 'uint16', writable: true },
      ],
    });
    const samples: Array<Sample & { at: number }> = [];
    const statuses: Array<DeviceStatusReport & { at: number }> = [];
    const host = new ConnectorHost(
      [device],
      {
        samples: (batch) => void samples.push(...batch.map((sample) => ({ ...sample, at: Date.now() }))),
        status: (report) => void statuses.push({ ...report, at: Date.now() }),
      },
      createLogger('silent'),
    );
    host.start();
    try {
      const connecting = (from: number) => () => statuses.slice(from).some((s) => s.state === 'connecting');
      const crashedFrom = (from: number) => statuses.slice(from).find((s) => s.state === 'error' && s.error?.code === ErrorCodes.WORKER_CRASHED);

      // 1. A write is pending when the worker dies: it is answered, not left to its 10 s timeout.
      await until(connecting(0), 5000);
      await sleep(200);
      let answered: WriteResult | undefined;
      const write = host.write('tank', 'setpoint', 7).then((result) => (answered = result));
      await sleep(200);
      expect(answered).toBeUndefined();
      const samplesFrom = samples.length;
      process.kill(await workerPid(), 'SIGKILL');
      await write;
      expect(answered).toMatchObject({ ok: false, error: { code: ErrorCodes.WORKER_CRASHED } });

      // 2. Every tag is bad, the device in error, and a write while it is down is refused at once.
      await until(() => crashedFrom(0) !== undefined, 2000);
      const bad = samples.slice(samplesFrom).filter((s) => s.quality === 'bad' && s.status === ErrorCodes.WORKER_CRASHED);
      expect(bad.map((s) => s.tagId).sort()).toEqual(['tank/level', 'tank/setpoint']);
      expect(await host.write('tank', 'setpoint', 8)).toMatchObject({ ok: false, error: { code: ErrorCodes.WORKER_CRASHED } });

      // 3. It comes back after the backoff (1 s ± 20 %), and after twice that when it dies again.
      const first = crashedFrom(0);
      const afterFirst = statuses.length;
      await until(connecting(afterFirst), 5000);
      const firstGap = (statuses.slice(afterFirst).find((s) => s.state === 'connecting')?.at ?? 0) - (first?.at ?? 0);
      process.kill(await workerPid(), 'SIGKILL');
      await until(() => crashedFrom(afterFirst) !== undefined, 2000);
      const second = crashedFrom(afterFirst);
      const afterSecond = statuses.length;
      await until(connecting(afterSecond), 6000);
      const secondGap = (statuses.slice(afterSecond).find((s) => s.state === 'connecting')?.at ?? 0) - (second?.at ?? 0);
      expect(firstGap).toBeGreaterThanOrEqual(800);
      expect(firstGap).toBeLessThan(1200 + 2000);
      expect(secondGap).toBeGreaterThanOrEqual(1600);
      expect(secondGap).toBeLessThan(2400 + 2000);
    } finally {
      await host.stop();
    }
  });
});
