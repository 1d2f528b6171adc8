import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { coalesceWrites } from '../../src/broker/coalesce.ts';

/** A duplex that records how its writes reach the "socket": one entry per _write or _writev call. */
function recordingStream() {
  const calls: number[] = [];
  const stream = new Duplex({
    read() {},
    write(_chunk, _encoding, callback) {
      calls.push(1);
      callback();
    },
    writev(chunks, callback) {
      calls.push(chunks.length);
      callback();
    },
  });
  return { stream, calls };
}

describe('coalesceWrites', () => {
  it('hands every packet written in one turn of the event loop to the socket as one writev', async () => {
    const { stream, calls } = recordingStream();
    coalesceWrites(stream);
    for (let i = 0; i < 50; i++) stream.write(Buffer.from([i]));
    expect(calls).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toEqual([50]);
    stream.write(Buffer.from([1]));
    stream.write(Buffer.from([2]));
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toEqual([50, 2]);
  });

  it('without it, each write is its own call', async () => {
    const { stream, calls } = recordingStream();
    for (let i = 0; i < 3; i++) stream.write(Buffer.from([i]));
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls.length).toBeGreaterThan(1);
  });
});
