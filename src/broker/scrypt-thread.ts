import { Worker } from 'node:worker_threads';

export interface ScryptRequest {
  id: number;
  password: string;
  salt: Uint8Array;
  keyLength: number;
  N: number;
  r: number;
  p: number;
}

export type ScryptReply = { id: number; key: Uint8Array } | { id: number; error: string };

/** Built JavaScript, as for the connectors: this file's neighbour in dist/, or the dist/ that `npm run build` made. */
const WORKER_URL = import.meta.url.endsWith('.ts')
  ? new URL('../../dist/src/broker/scrypt-worker.js', import.meta.url)
  : new URL('./scrypt-worker.js', import.meta.url);
/** The worker only runs scryptSync: a small heap is plenty. */
const RESOURCE_LIMITS = { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 1 };

interface Pending {
  resolve(key: Buffer): void;
  reject(error: Error): void;
}

/**
 * Runs scrypt in one dedicated thread, one call at a time, instead of in libuv's pool: each call needs
 * N*r*128 bytes (16 MB for `hashPassword`'s), and glibc keeps that memory in the malloc arena of the thread
 * that ran it. Spread over the pool's 4 threads, failed logins left 64 MB more RSS; here it is one thread's worth.
 * Started with the first call; it does not keep the process alive.
 */
export class ScryptThread {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  run(password: string, salt: Buffer, keyLength: number, options: { N: number; r: number; p: number }): Promise<Buffer> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) worker.ref();
      worker.postMessage({ id, password, salt, keyLength, ...options } satisfies ScryptRequest);
    });
  }

  private start(): Worker {
    const worker = new Worker(WORKER_URL, { resourceLimits: RESOURCE_LIMITS });
    worker.unref();
    worker.on('message', (reply: ScryptReply) => {
      const waiting = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if ('key' in reply) waiting?.resolve(Buffer.from(reply.key.buffer, reply.key.byteOffset, reply.key.byteLength));
      else waiting?.reject(new Error(reply.error));
    });
    const fail = (error: Error) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the scrypt worker exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }
}
