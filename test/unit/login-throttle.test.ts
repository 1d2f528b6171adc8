import { describe, expect, it } from 'vitest';
import { LoginThrottle } from '../../src/broker/login-throttle.ts';

const OPTIONS = { threshold: 3, baseDelayMs: 250, maxDelayMs: 8000, quietMs: 60_000, maxAddresses: 3 };

/** Attempts from `address` at `now` that all fail, one after the other: the delay of each. */
function failures(throttle: LoginThrottle, address: string, count: number, now = 0): Array<number | undefined> {
  return Array.from({ length: count }, () => {
    const delay = throttle.admit(address, now);
    throttle.settle(address, false, now);
    return delay;
  });
}

describe('LoginThrottle', () => {
  it('lets three failures through, then doubles the delay from 250 ms up to 8 s', () => {
    const throttle = new LoginThrottle(OPTIONS);
    expect(failures(throttle, '10.0.0.1', 10)).toEqual([0, 0, 0, 250, 500, 1000, 2000, 4000, 8000, 8000]);
  });

  it('keeps each address apart', () => {
    const throttle = new LoginThrottle(OPTIONS);
    failures(throttle, '10.0.0.1', 5);
    expect(throttle.admit('10.0.0.2', 0)).toBe(0);
    expect(throttle.admit('10.0.0.1', 0)).toBe(1000);
  });

  it('forgets the failures after a success', () => {
    const throttle = new LoginThrottle(OPTIONS);
    failures(throttle, '10.0.0.1', 5);
    expect(throttle.admit('10.0.0.1', 0)).toBe(1000);
    throttle.settle('10.0.0.1', true, 0);
    expect(failures(throttle, '10.0.0.1', 4)).toEqual([0, 0, 0, 250]);
  });

  it('forgets the failures after a quiet period, and not before', () => {
    const throttle = new LoginThrottle(OPTIONS);
    failures(throttle, '10.0.0.1', 4, 0);
    expect(failures(throttle, '10.0.0.1', 1, 59_000)).toEqual([500]);
    expect(failures(throttle, '10.0.0.1', 1, 59_000 + 60_001)).toEqual([0]);
  });

  it('lets many clients of one address log in at once (a restart), and throttles once their failures pass the threshold', () => {
    const throttle = new LoginThrottle(OPTIONS);
    expect(Array.from({ length: 10 }, () => throttle.admit('10.0.0.1', 0))).toEqual(Array(10).fill(0));
    for (let i = 0; i < 10; i++) throttle.settle('10.0.0.1', i < 6, 0);
    expect(throttle.admit('10.0.0.1', 0)).toBe(500);
    expect(throttle.admit('10.0.0.1', 0)).toBeUndefined();
  });

  it('once throttled, refuses an attempt while an earlier one from that address is still waiting', () => {
    const throttle = new LoginThrottle(OPTIONS);
    failures(throttle, '10.0.0.1', 3);
    expect(throttle.admit('10.0.0.1', 0)).toBe(250);
    expect(throttle.admit('10.0.0.1', 0)).toBeUndefined();
    throttle.settle('10.0.0.1', false, 250);
    expect(throttle.admit('10.0.0.1', 300)).toBe(500);
  });

  it('tracks at most maxAddresses addresses, forgetting the one least recently seen', () => {
    const throttle = new LoginThrottle(OPTIONS);
    failures(throttle, 'a', 4);
    failures(throttle, 'b', 4);
    failures(throttle, 'c', 4);
    failures(throttle, 'a', 1);
    failures(throttle, 'd', 1);
    expect(throttle.size).toBe(3);
    expect(throttle.admit('b', 0)).toBe(0);
    expect(throttle.admit('a', 0)).toBe(1000);
  });
});
