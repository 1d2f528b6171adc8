import { performance } from 'node:perf_hooks';
import type { IConnackPacket, Packet } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/broker/passwords.ts';
import { ErrorCodes } from '../../shared/errors.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { captureLog } from '../helpers/log-capture.ts';
import { ClientPool } from '../helpers/mqtt.ts';

const PASSWORD = 'correct horse';
/** Pairs of failed logins (a wrong password, an unknown user) whose times are compared. */
const ROUNDS = 15;
/**
 * Alice's hash, and so the dummy hash an unknown user is checked against, with an eighth of `hashPassword`'s work
 * (2 MB, about 15 ms): the load of a shared machine stretches a check's time, and with it the noise of the comparison.
 * Without the dummy hash an unknown user would still be answered a whole check sooner, well beyond the 5 ms allowed.
 */
const CHECK_PARAMS = { N: 2048, r: 8, p: 1 };
const capture = captureLog('warn');
const pool = new ClientPool();
let gw: TestGateway;

beforeAll(async () => {
  const hash = await hashPassword(PASSWORD, CHECK_PARAMS);
  gw = await startTestGateway({
    extra: `access:\n  allowAnonymous: false\n  users:\n    - username: alice\n      password: "${hash}"\n`,
    log: capture.log,
  });
  // Starts the password-check thread, so that its start is not part of any measurement.
  expect((await attempt('alice', PASSWORD)).returnCode).toBe(0);
  await pool.endAll();
});
afterEach(() => pool.endAll());
afterAll(() => gw.stop());

interface Answer {
  returnCode: number;
  /** From opening the connection to CONNACK read, in ms. */
  ms: number;
}

/** Connects once and measures how long the CONNACK takes, whatever it says. */
function attempt(username: string, password: string): Promise<Answer> {
  const sentAt = performance.now();
  const client = pool.open(gw.url(), { username, password, clientId: `login-${Math.random().toString(16).slice(2)}` });
  client.on('error', () => undefined);
  return new Promise((resolve) => {
    client.on('close', () => resolve({ returnCode: -1, ms: performance.now() - sentAt }));
    client.on('packetreceive', (packet: Packet) => {
      if (packet.cmd === 'connack') resolve({ returnCode: (packet as IConnackPacket).returnCode ?? -1, ms: performance.now() - sentAt });
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

describe('login hardening', () => {
  // A wall-clock comparison on a shared machine: the retries absorb a burst of load from other test files.
  it('answers an unknown user like a wrong password: CONNACK 4 [MQTT-3.2.2.3], in the same time', { retry: 2 }, async () => {
    const wrong: Answer[] = [];
    const unknown: Answer[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // One after the other, in turns, so that whatever else loads the machine falls on both alike.
      const first = round % 2 === 0 ? wrong : unknown;
      const second = round % 2 === 0 ? unknown : wrong;
      first.push(await attempt(first === wrong ? 'alice' : 'mallory', 'not the password'));
      second.push(await attempt(second === wrong ? 'alice' : 'mallory', 'not the password'));
      // A success resets the count of failures, so that the throttle stays out of these measurements.
      expect((await attempt('alice', PASSWORD)).returnCode).toBe(0);
      await pool.endAll();
    }
    expect(wrong.map((a) => a.returnCode)).toEqual(Array(ROUNDS).fill(4));
    expect(unknown.map((a) => a.returnCode)).toEqual(Array(ROUNDS).fill(4));
    const differences = wrong.map((a, round) => a.ms - (unknown[round]?.ms ?? Number.NaN));
    const wrongMs = median(wrong.map((a) => a.ms));
    const unknownMs = median(unknown.map((a) => a.ms));
    const differenceMs = median(differences);
    console.log(`median CONNACK time: wrong password ${wrongMs.toFixed(1)} ms, unknown user ${unknownMs.toFixed(1)} ms, median difference ${differenceMs.toFixed(1)} ms`);
    expect(Math.abs(differenceMs)).toBeLessThan(5);
  });

  it('slows down each failure from one address after the third, and a correct login still gets in and resets the count', async () => {
    capture.lines.length = 0;
    const answers: Answer[] = [];
    for (let i = 0; i < 6; i++) answers.push(await attempt(i % 2 === 0 ? 'alice' : 'mallory', 'guess'));
    expect(answers.map((a) => a.returnCode)).toEqual([4, 4, 4, 4, 4, 4]);
    const ms = answers.map((a) => Math.round(a.ms));
    console.log(`CONNACK times of 6 failures in a row: ${ms.join(', ')} ms`);
    // Each delay is a lower bound of the answer's time, whatever the load; that the first three had none is in the log below.
    expect(ms.slice(3).map((answer, i) => answer >= 250 * 2 ** i)).toEqual([true, true, true]);

    const success = await attempt('alice', PASSWORD);
    expect(success.returnCode).toBe(0);
    expect(success.ms).toBeGreaterThanOrEqual(1900);
    console.log(`correct login while throttled: ${Math.round(success.ms)} ms`);

    const afterReset = await attempt('alice', 'guess');
    expect(afterReset.returnCode).toBe(4);

    // The broker's own rate-limited "connection closed" notes carry the code too, without a delay.
    const failures = capture.withCode(ErrorCodes.AUTH_FAILED).filter((line) => 'delayMs' in line);
    expect(failures.map((line) => [line.username, line.delayMs])).toEqual([
      ['alice', 0],
      ['mallory', 0],
      ['alice', 0],
      ['mallory', 250],
      ['alice', 500],
      ['mallory', 1000],
      ['alice', 0],
    ]);
  });

  it('logs each failure with the user name and the remote address', async () => {
    capture.lines.length = 0;
    expect((await attempt('mallory', 'guess')).returnCode).toBe(4);
    const [line, ...rest] = capture.withCode(ErrorCodes.AUTH_FAILED).filter((line) => 'delayMs' in line);
    expect(rest).toEqual([]);
    expect(line).toMatchObject({ level: 40, username: 'mallory', remote: '127.0.0.1', clientId: expect.stringMatching(/^login-/), delayMs: 0 });
  });

  it('once throttled, answers a parallel login from the same address at once, unchecked, and counts it', async () => {
    for (let i = 0; i < 2; i++) expect((await attempt('mallory', 'guess')).returnCode).toBe(4);
    const parallel = await Promise.all([attempt('alice', 'guess'), attempt('alice', 'guess'), attempt('alice', 'guess')]);
    expect(parallel.map((a) => a.returnCode)).toEqual([4, 4, 4]);
    const ms = parallel.map((a) => Math.round(a.ms)).sort((a, b) => a - b);
    console.log(`CONNACK times of 3 parallel logins while throttled: ${ms.join(', ')} ms`);
    expect(ms[1]).toBeLessThan(200);
    expect(ms[2]).toBeGreaterThanOrEqual(250);
    expect(gw.gateway.broker.refusals()[ErrorCodes.LOGIN_THROTTLED]).toBe(2);
    expect(capture.withCode(ErrorCodes.LOGIN_THROTTLED)[0]).toMatchObject({ remote: '127.0.0.1' });
    expect((await attempt('alice', PASSWORD)).returnCode).toBe(0);
  });
});
