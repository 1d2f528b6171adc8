import { describe, expect, it } from 'vitest';
import { createLoginCheck, type LoginResult } from '../../src/broker/login-check.ts';
import { hashPassword } from '../../src/broker/passwords.ts';
import { ErrorCodes } from '../../shared/errors.ts';
import { captureLog } from '../helpers/log-capture.ts';

const password = (text: string) => Buffer.from(text);

function outcome(result: LoginResult): string {
  return result.ok ? 'ok' : `${result.error.returnCode} ${result.error.code}`;
}

describe('login check (the real password-check thread)', () => {
  it('checks one password at a time, and refuses the logins beyond the waiting ones at once, unchecked, with CONNACK 3', async () => {
    const capture = captureLog('warn');
    const users = [{ username: 'alice', password: await hashPassword('right'), write: false }];
    const login = createLoginCheck(users, capture.log, { maxWaitingChecks: 2 });
    // From five addresses, so that the throttle stays out of it.
    const answers = await Promise.all([
      login.check('alice', password('right'), '10.0.0.1'),
      login.check('alice', password('wrong'), '10.0.0.2'),
      login.check('mallory', password('right'), '10.0.0.3'),
      login.check('alice', password('right'), '10.0.0.4'),
      login.check('alice', undefined, '10.0.0.5'),
    ]);
    expect(answers.map(outcome)).toEqual([
      'ok',
      `4 ${ErrorCodes.AUTH_FAILED}`,
      `3 ${ErrorCodes.LOGIN_BUSY}`,
      `3 ${ErrorCodes.LOGIN_BUSY}`,
      `3 ${ErrorCodes.LOGIN_BUSY}`,
    ]);
    // Busy refusals are the broker's to log, rate-limited; only the checked failure is logged here.
    expect(capture.lines.map((line) => [line.code, line.username, line.remote])).toEqual([[ErrorCodes.AUTH_FAILED, 'alice', '10.0.0.2']]);
    expect((await login.check('mallory', password('right'), '10.0.0.3')).ok).toBe(false);
    expect(outcome(await login.check('alice', password('right'), '10.0.0.4'))).toBe('ok');
  });

  it("checks a password login of a user without a password (certificate logins only) against the dummy hash, and logs why it failed", async () => {
    const capture = captureLog('warn');
    const users = [
      { username: 'alice', password: await hashPassword('right', { N: 1024, r: 8, p: 1 }), write: false },
      { username: 'hmi', write: false },
    ];
    expect(outcome(await createLoginCheck(users, capture.log).check('hmi', password('right'), '10.0.0.1'))).toBe(`4 ${ErrorCodes.AUTH_FAILED}`);
    expect(capture.lines).toEqual([expect.objectContaining({ username: 'hmi', reason: 'the user has no password: it logs in with a client certificate only' })]);
    // A check is spent on it, as on an unknown user's: with no room for one, the login is refused unchecked.
    const full = createLoginCheck(users, capture.log, { maxWaitingChecks: 0 });
    expect([await full.check('hmi', password('right'), '10.0.0.2'), await full.check('mallory', password('right'), '10.0.0.3')].map(outcome)).toEqual([
      `3 ${ErrorCodes.LOGIN_BUSY}`,
      `3 ${ErrorCodes.LOGIN_BUSY}`,
    ]);
  });

  it('without users, refuses every login without a password check', async () => {
    const capture = captureLog('warn');
    const login = createLoginCheck([], capture.log, { maxWaitingChecks: 0 });
    expect(outcome(await login.check('alice', password('right'), '10.0.0.1'))).toBe(`4 ${ErrorCodes.AUTH_FAILED}`);
  });
});
