import { createRequire } from 'node:module';
import type { AedesOptions } from 'aedes';
import { queuedQos } from './granted-qos.ts';

/** What this file uses of aedes-persistence 11's async API (its bundled typings still show the callbacks). */
interface OfflineQueue {
  outgoingEnqueue(sub: { clientId: string }, packet: { qos: number }): Promise<void>;
  outgoingEnqueueCombi(subs: ReadonlyArray<{ clientId: string; qos?: number }>, packet: { qos: number }): Promise<void>;
}

// Its typings declare a default export that TypeScript resolves to the module itself (a CommonJS package).
const aedesMemoryPersistence = createRequire(import.meta.url)('aedes-persistence') as () => OfflineQueue;

/**
 * aedes' in-memory persistence (`store.engine: memory`), its offline queue holding each session's copy at the QoS
 * granted to that session (`queuedQos`), as the SQLite store does: aedes replays a queue at the QoS each copy has.
 */
export function memoryPersistence(): AedesOptions['persistence'] {
  const persistence = aedesMemoryPersistence();
  persistence.outgoingEnqueueCombi = async (subs, packet) => {
    const qos = queuedQos(subs, packet.qos);
    // One copy per session at its own QoS; the queue copies the packet it is given.
    for (const sub of subs) await persistence.outgoingEnqueue(sub, { ...packet, qos: qos.get(sub.clientId) ?? packet.qos });
  };
  return persistence;
}
