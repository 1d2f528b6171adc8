// The thread every password check runs in (see scrypt-thread.ts): one scrypt at a time, over working memory kept for the next.
import { parentPort } from 'node:worker_threads';
import { Scrypt } from './scrypt.ts';
import type { ScryptReply, ScryptRequest } from './scrypt-thread.ts';

if (!parentPort) throw new Error('scrypt-worker.ts runs as a worker thread only');
const port = parentPort;
const scrypt = new Scrypt();
port.on('message', ({ id, password, salt, keyLength, N, r, p }: ScryptRequest) => {
  let reply: ScryptReply;
  try {
    reply = { id, key: scrypt.derive(password, salt, keyLength, { N, r, p }) };
  } catch (error) {
    reply = { id, error: (error as Error).message };
  }
  port.postMessage(reply);
});
