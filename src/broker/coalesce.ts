import type { Duplex } from 'node:stream';

/**
 * Batches what the broker writes to one connection during one turn of the event loop into a single writev: aedes
 * writes every outgoing packet on its own, and a syscall per packet is most of a busy broker's time.
 */
export function coalesceWrites(stream: Duplex): Duplex {
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  let corked = false;
  const uncork = () => {
    corked = false;
    stream.uncork();
  };
  stream.write = ((...args: unknown[]) => {
    if (!corked) {
      corked = true;
      stream.cork();
      setImmediate(uncork);
    }
    return write(...args);
  }) as Duplex['write'];
  return stream;
}
