import { describe, expect, it } from 'vitest';
import { shortestFloat32 } from '../../connectors/float32.ts';

const bits = new Uint32Array(1);
const floats = new Float32Array(bits.buffer);
const float32 = (pattern: number): number => {
  bits[0] = pattern;
  return floats[0] ?? Number.NaN;
};
const digits = (value: number): number => value.toExponential().replace(/e.*$|[-.]/g, '').length;

describe('shortestFloat32', () => {
  it('reads back as the same float32 with at most 9 digits, and no fewer digits would do, over every exponent', () => {
    const failures: string[] = [];
    for (let pattern = 0x00000001; pattern < 0x7f800000; pattern += 0x7fff) {
      for (const sign of [0, 0x80000000]) {
        const value = float32((pattern | sign) >>> 0);
        const out = shortestFloat32(value);
        const n = digits(out);
        const shorter = n > 1 ? Number(out.toPrecision(n - 1)) : Number.NaN;
        if (Math.fround(out) !== value || n > 9 || Math.fround(shorter) === value) failures.push(`${pattern.toString(16)}: ${out}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('takes the shortest at every power of two, where the float32 below is closer than the one above', () => {
    const published = [];
    for (let exponent = 1; exponent < 255; exponent++) {
      const value = float32(exponent << 23);
      const out = shortestFloat32(value);
      if (Math.fround(out) !== value) published.push(`2^${exponent - 127}: ${out}`);
    }
    expect(published).toEqual([]);
    expect([2 ** -96, 2 ** 87, 2 ** 24, 2 ** -126].map((v) => shortestFloat32(v))).toEqual([1.2621775e-29, 1.5474251e26, 16777216, 1.1754944e-38]);
  });

  it('passes NaN, infinities and signed zeros through', () => {
    expect(shortestFloat32(Number.NaN)).toBeNaN();
    expect(shortestFloat32(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
    expect(shortestFloat32(Number.NEGATIVE_INFINITY)).toBe(Number.NEGATIVE_INFINITY);
    expect(Object.is(shortestFloat32(-0), -0)).toBe(true);
    expect(Object.is(shortestFloat32(0), 0)).toBe(true);
  });
});
