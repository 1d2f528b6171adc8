import { randomBytes, scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Scrypt } from '../../src/broker/scrypt.ts';

/** RFC 7914, section 12 (the fourth vector, N=2^20, needs 1 GB). */
const VECTORS = [
  { password: '', salt: '', N: 16, r: 1, p: 1, key: '77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906' },
  { password: 'password', salt: 'NaCl', N: 1024, r: 8, p: 16, key: 'fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640' },
  { password: 'pleaseletmein', salt: 'SodiumChloride', N: 16384, r: 8, p: 1, key: '7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887' },
];

describe('Scrypt', () => {
  it('derives the RFC 7914 test vectors', () => {
    const scrypt = new Scrypt();
    for (const { password, salt, N, r, p, key } of VECTORS) expect(scrypt.derive(password, salt, 64, { N, r, p }).toString('hex')).toBe(key);
  });

  it('keeps its working memory: 128 * r * N bytes from the first derivation, grown for larger parameters only', () => {
    const scrypt = new Scrypt();
    expect(scrypt.memoryBytes).toBe(0);
    const sizes = [[1024, 8], [16, 1], [4096, 8], [1024, 8]].map(([N = 0, r = 0]) => {
      scrypt.derive('x', 'y', 32, { N, r, p: 1 });
      return scrypt.memoryBytes;
    });
    expect(sizes).toEqual([1 << 20, 1 << 20, 4 << 20, 4 << 20]);
  });

  it("derives what Node's scrypt derives, for random passwords (bytes), salts and parameters, larger and smaller in turn", () => {
    const scrypt = new Scrypt();
    for (const [N, r, p] of [[2, 1, 1], [256, 4, 2], [16, 2, 3], [4096, 8, 1], [64, 1, 4]] as const) {
      const password = randomBytes(1 + (N % 37));
      const salt = randomBytes(16);
      expect(scrypt.derive(password, salt, 32, { N, r, p }).equals(scryptSync(password, salt, 32, { N, r, p }))).toBe(true);
    }
  });

  it('refuses parameters that are not scrypt parameters, or need more than 32 MB', () => {
    const scrypt = new Scrypt();
    expect(() => scrypt.derive('x', 'y', 32, { N: 1000, r: 8, p: 1 })).toThrow(/power of 2/);
    expect(() => scrypt.derive('x', 'y', 32, { N: 16, r: 0, p: 1 })).toThrow(/positive integers/);
    expect(() => scrypt.derive('x', 'y', 32, { N: 65536, r: 8, p: 1 })).toThrow(/more than 32 MB/);
  });
});
