import { setTimeout as sleep } from 'node:timers/promises';
import type { AuthenticateError } from 'aedes';
import type { AccessConfig } from '../../schemas/gateway.ts';
import { ErrorCodes, type ErrorCode } from '../../shared/errors.ts';
import { GatewayError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { LoginThrottle, type LoginThrottleOptions } from './login-throttle.ts';
import { dummyHash, passwordChecksWaiting, verifyPassword } from './passwords.ts';

export type User = AccessConfig['users'][number];
export type LoginRefusal = GatewayError & AuthenticateError;
export type LoginResult = { ok: true } | { ok: false; error: LoginRefusal };

export interface LoginCheck {
  /** Checks a CONNECT's username and password, slowed down after failures from `remote`; only failures are logged here. */
  check(username: string, password: Uint8Array | undefined, remote: string | undefined, clientId?: string): Promise<LoginResult>;
}

export interface LoginCheckOptions extends LoginThrottleOptions {
  /** Password checks running or queued at most; a login beyond them is refused unchecked. */
  maxWaitingChecks: number;
}

/** CONNACK return codes [MQTT-3.2.2.3]. */
const SERVER_UNAVAILABLE = 3;
const BAD_USERNAME_OR_PASSWORD = 4;
const MAX_WAITING_CHECKS = 16;
const NO_PASSWORD = new Uint8Array(0);
const THROTTLED = 'login refused unchecked: too many failed logins from this address, and an earlier one is still waiting';

function refusal(returnCode: number, code: ErrorCode, message: string): LoginRefusal {
  return Object.assign(new GatewayError(code, message), { returnCode });
}

/**
 * Password logins: the password of an unknown user, or of a user without one (certificate logins only), is
 * checked against a dummy hash with the parameters of the first user's that has one, so that it is answered as
 * late as a wrong password, with the same CONNACK 4. Failures slow down further logins from their address
 * (LoginThrottle). Refusals made unchecked (UNS_ERR_LOGIN_THROTTLED, UNS_ERR_LOGIN_BUSY) are left to the
 * broker to log, rate-limited.
 */
export function createLoginCheck(users: readonly User[], log: Logger, options: Partial<LoginCheckOptions> = {}): LoginCheck {
  const byName = new Map(users.map((user) => [user.username, user]));
  // Without passwords there is no one to tell apart, and no scrypt is spent on a login that cannot succeed.
  const firstPassword = users.find((user) => user.password !== undefined)?.password;
  const noUserHash = firstPassword && dummyHash(firstPassword);
  const throttle = new LoginThrottle(options);
  const maxWaiting = options.maxWaitingChecks ?? MAX_WAITING_CHECKS;
  return {
    async check(username, password, remote, clientId) {
      const address = remote ?? '';
      const delayMs = throttle.admit(address);
      if (delayMs === undefined) return { ok: false, error: refusal(BAD_USERNAME_OR_PASSWORD, ErrorCodes.LOGIN_THROTTLED, THROTTLED) };
      const user = byName.get(username);
      let ok = false;
      let failure: string | undefined;
      try {
        if (delayMs > 0) await sleep(delayMs, undefined, { ref: false });
        const hash = user?.password ?? noUserHash;
        const waiting = passwordChecksWaiting();
        if (hash !== undefined && waiting >= maxWaiting) {
          return { ok: false, error: refusal(SERVER_UNAVAILABLE, ErrorCodes.LOGIN_BUSY, `login refused unchecked: ${waiting} password checks are waiting already`) };
        }
        ok = hash !== undefined && (await verifyPassword(password ?? NO_PASSWORD, hash)) && user !== undefined;
      } catch (error) {
        failure = (error as Error).message;
      } finally {
        throttle.settle(address, ok);
      }
      if (ok) return { ok: true };
      const reason = user && user.password === undefined ? { reason: 'the user has no password: it logs in with a client certificate only' } : {};
      log.warn({ code: ErrorCodes.AUTH_FAILED, clientId, username, remote, delayMs, ...reason, ...(failure !== undefined && { err: failure }) }, 'bad username or password');
      return { ok: false, error: refusal(BAD_USERNAME_OR_PASSWORD, ErrorCodes.AUTH_FAILED, 'bad username or password') };
    },
  };
}
