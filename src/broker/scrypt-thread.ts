import { Worker } from 'node:worker_threads';
import type { ScryptParams } from './scrypt.ts';

export interface ScryptRequest extends ScryptParams {
  id: number;
  password: string | Uint8Array;
  salt: Uint8Array;
  keyLength: number;
}

export type ScryptReply = { id: number; key: Uint8Array } | { id: number; error: string };

/** Built JavaScript, as for the connectors: this file's neighbour in dist/, or the dist/ that `npm run build` made. */
const WORKER_URL = import.meta.url.endsWith('.ts')
  ? new URL('../../dist/src/broker/scrypt-worker.js', import.meta.url)
  : new URL('./scrypt-worker.js', import.meta.url);
/** The worker only runs scrypt, whose working memory is a typed array outside V8's heap: a small heap is plenty. */
const RESOURCE_LIMITS = { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 1 };

interface Pending {
  resolve(key: Buffer): void;
  reject(error: Error): void;
}

/**
 * Runs scrypt in one dedicated thread, one call at a time, instead of in libuv's pool: each call needs
 * N*r*128 bytes (16 MB for `hashPassword`'s), and glibc kept that memory in the malloc arena of each pool
 * thread that ran one (failed logins left 64 MB more RSS). This thread keeps one working memory (see Scrypt).
 * Started with the first call; it does not keep the process alive.
 */
export class ScryptThread {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  /** Calls sent and not answered yet: the one running and those queued behind it. */
  get waiting(): number {
    return this.pending.size;
  }

  run(password: string | Uint8Array, salt: Uint8Array, keyLength: number, options: ScryptParams): Promise<Buffer> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) worker.ref();
      // Copies: a Buffer is often a view into a larger one (a packet, Node's pool), and a message would carry all of it.
      const request: ScryptRequest = { id, password: typeof password === 'string' ? password : new Uint8Array(password), salt: new Uint8Array(salt), keyLength, ...options };
      worker.postMessage(request);
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
