import { pbkdf2Sync, type BinaryLike } from 'node:crypto';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** As Node's crypto.scrypt by default: parameters that need more working memory are refused. */
const MAX_MEMORY_BYTES = 32 * 1024 * 1024;

/**
 * scrypt (RFC 7914) in JavaScript, over working memory that it keeps: allocated by the first derivation,
 * replaced by a larger one only for larger parameters. Node's scrypt (OpenSSL) mallocs its 128*r*N bytes (16 MB for
 * `hashPassword`'s) on every call, and glibc does not reliably hand that chunk to the next call: the checking
 * thread's arena grew by a second 16 MB under fuzzing. The same derivation, about twice as slow.
 */
export class Scrypt {
  private memory = new Uint32Array(0);
  /** The block being mixed (32*r words) followed by blockMix's output. */
  private xy = new Uint32Array(0);
  private readonly state = new Uint32Array(16);

  /** The working memory kept for the next derivation. */
  get memoryBytes(): number {
    return this.memory.byteLength;
  }

  derive(password: BinaryLike, salt: BinaryLike, keyLength: number, { N, r, p }: ScryptParams): Buffer {
    if (!Number.isInteger(N) || N < 2 || (N & (N - 1)) !== 0) throw new RangeError(`scrypt N must be a power of 2 above 1, not ${N}`);
    if (!Number.isInteger(r) || r < 1 || !Number.isInteger(p) || p < 1) throw new RangeError(`scrypt r and p must be positive integers, not ${r} and ${p}`);
    if (128 * r * N > MAX_MEMORY_BYTES) throw new RangeError(`scrypt N=${N}, r=${r} needs more than ${MAX_MEMORY_BYTES / 1024 / 1024} MB`);
    const words = 32 * r;
    if (this.memory.length < words * N) this.memory = new Uint32Array(words * N);
    if (this.xy.length !== 2 * words) this.xy = new Uint32Array(2 * words);
    const blocks = pbkdf2Sync(password, salt, 1, 128 * r * p, 'sha256');
    for (let block = 0; block < p; block++) {
      const at = block * 128 * r;
      for (let k = 0; k < words; k++) this.xy[k] = blocks.readUInt32LE(at + 4 * k);
      this.roMix(N, r);
      for (let k = 0; k < words; k++) blocks.writeUInt32LE(this.xy[k] ?? 0, at + 4 * k);
    }
    return pbkdf2Sync(password, blocks, 1, keyLength, 'sha256');
  }

  private roMix(N: number, r: number): void {
    const { memory, xy } = this;
    const words = 32 * r;
    for (let i = 0; i < N; i++) {
      memory.set(xy.subarray(0, words), i * words);
      this.blockMix(r);
    }
    for (let i = 0; i < N; i++) {
      const j = (xy[words - 16] ?? 0) & (N - 1);
      for (let k = 0, v = j * words; k < words; k++, v++) xy[k] = (xy[k] ?? 0) ^ (memory[v] ?? 0);
      this.blockMix(r);
    }
  }

  /** BlockMix with Salsa20/8 of xy's first 32*r words, in place: the even 64-byte blocks out first, then the odd. */
  private blockMix(r: number): void {
    const { xy, state } = this;
    const words = 32 * r;
    state.set(xy.subarray(words - 16, words));
    for (let i = 0; i < 2 * r; i++) salsa20_8(state, xy, 16 * i, words + 16 * ((i & 1) * r + (i >> 1)));
    xy.copyWithin(0, words, 2 * words);
  }
}

/** state = Salsa20/8(state ^ xy[from..from+16]), also written to xy[to..to+16]. Unrolled: it runs 4*r*N*p times a derivation. */
function salsa20_8(state: Uint32Array, xy: Uint32Array, from: number, to: number): void {
  const b0 = (state[0] ?? 0) ^ (xy[from] ?? 0), b1 = (state[1] ?? 0) ^ (xy[from + 1] ?? 0), b2 = (state[2] ?? 0) ^ (xy[from + 2] ?? 0), b3 = (state[3] ?? 0) ^ (xy[from + 3] ?? 0);
  const b4 = (state[4] ?? 0) ^ (xy[from + 4] ?? 0), b5 = (state[5] ?? 0) ^ (xy[from + 5] ?? 0), b6 = (state[6] ?? 0) ^ (xy[from + 6] ?? 0), b7 = (state[7] ?? 0) ^ (xy[from + 7] ?? 0);
  const b8 = (state[8] ?? 0) ^ (xy[from + 8] ?? 0), b9 = (state[9] ?? 0) ^ (xy[from + 9] ?? 0), b10 = (state[10] ?? 0) ^ (xy[from + 10] ?? 0), b11 = (state[11] ?? 0) ^ (xy[from + 11] ?? 0);
  const b12 = (state[12] ?? 0) ^ (xy[from + 12] ?? 0), b13 = (state[13] ?? 0) ^ (xy[from + 13] ?? 0), b14 = (state[14] ?? 0) ^ (xy[from + 14] ?? 0), b15 = (state[15] ?? 0) ^ (xy[from + 15] ?? 0);
  let x0 = b0, x1 = b1, x2 = b2, x3 = b3, x4 = b4, x5 = b5, x6 = b6, x7 = b7;
  let x8 = b8, x9 = b9, x10 = b10, x11 = b11, x12 = b12, x13 = b13, x14 = b14, x15 = b15;
  for (let round = 0; round < 8; round += 2) {
    x4 ^= rotl(x0 + x12, 7); x8 ^= rotl(x4 + x0, 9); x12 ^= rotl(x8 + x4, 13); x0 ^= rotl(x12 + x8, 18);
    x9 ^= rotl(x5 + x1, 7); x13 ^= rotl(x9 + x5, 9); x1 ^= rotl(x13 + x9, 13); x5 ^= rotl(x1 + x13, 18);
    x14 ^= rotl(x10 + x6, 7); x2 ^= rotl(x14 + x10, 9); x6 ^= rotl(x2 + x14, 13); x10 ^= rotl(x6 + x2, 18);
    x3 ^= rotl(x15 + x11, 7); x7 ^= rotl(x3 + x15, 9); x11 ^= rotl(x7 + x3, 13); x15 ^= rotl(x11 + x7, 18);
    x1 ^= rotl(x0 + x3, 7); x2 ^= rotl(x1 + x0, 9); x3 ^= rotl(x2 + x1, 13); x0 ^= rotl(x3 + x2, 18);
    x6 ^= rotl(x5 + x4, 7); x7 ^= rotl(x6 + x5, 9); x4 ^= rotl(x7 + x6, 13); x5 ^= rotl(x4 + x7, 18);
    x11 ^= rotl(x10 + x9, 7); x8 ^= rotl(x11 + x10, 9); x9 ^= rotl(x8 + x11, 13); x10 ^= rotl(x9 + x8, 18);
    x12 ^= rotl(x15 + x14, 7); x13 ^= rotl(x12 + x15, 9); x14 ^= rotl(x13 + x12, 13); x15 ^= rotl(x14 + x13, 18);
  }
  xy[to] = state[0] = x0 + b0; xy[to + 1] = state[1] = x1 + b1; xy[to + 2] = state[2] = x2 + b2; xy[to + 3] = state[3] = x3 + b3;
  xy[to + 4] = state[4] = x4 + b4; xy[to + 5] = state[5] = x5 + b5; xy[to + 6] = state[6] = x6 + b6; xy[to + 7] = state[7] = x7 + b7;
  xy[to + 8] = state[8] = x8 + b8; xy[to + 9] = state[9] = x9 + b9; xy[to + 10] = state[10] = x10 + b10; xy[to + 11] = state[11] = x11 + b11;
  xy[to + 12] = state[12] = x12 + b12; xy[to + 13] = state[13] = x13 + b13; xy[to + 14] = state[14] = x14 + b14; xy[to + 15] = state[15] = x15 + b15;
}

function rotl(value: number, bits: number): number {
  return (value << bits) | (value >>> (32 - bits));
}
