import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { ScryptParams } from './scrypt.ts';
import { ScryptThread } from './scrypt-thread.ts';

const scrypt = (password: string, salt: Buffer, keylen: number, options: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) => scryptCallback(password, salt, keylen, options, (error, key) => (error ? reject(error) : resolve(key))));

/** Password checks, on every login attempt, run in one thread of their own (see ScryptThread). */
const checks = new ScryptThread();

const N = 16384;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;

/** `scrypt$N$r$p$salt$hash` (base64): what goes into gateway.yaml, never the password itself. Cheaper `params` are for tests. */
export async function hashPassword(password: string, { N: n, r, p }: ScryptParams = { N, r: R, p: P }): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, KEY_LENGTH, { N: n, r, p });
  return ['scrypt', n, r, p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** Whether `password` (UTF-8 text or its bytes) matches `hash`; checked in the password-check thread. */
export async function verifyPassword(password: string | Uint8Array, hash: string): Promise<boolean> {
  const [kind, n, r, p, salt, key] = hash.split('$');
  if (kind !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64');
  const actual = await checks.run(password, Buffer.from(salt, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p) });
  return timingSafeEqual(actual, expected);
}

/** Password checks sent to their thread and not answered yet. */
export function passwordChecksWaiting(): number {
  return checks.waiting;
}

/**
 * A hash no password matches, with the scrypt parameters and key length of `like` (a real user's hash)
 * or of `hashPassword`: checking a password against it costs what checking it against a user's does.
 */
export function dummyHash(like?: string): string {
  const [kind, n, r, p, , key] = like?.split('$') ?? [];
  const params = kind === 'scrypt' && key ? [n, r, p] : [N, R, P];
  const keyLength = kind === 'scrypt' && key ? Buffer.from(key, 'base64').length : KEY_LENGTH;
  return ['scrypt', ...params, randomBytes(16).toString('base64'), randomBytes(keyLength).toString('base64')].join('$');
}
