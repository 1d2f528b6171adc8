import path from 'node:path';
import { freePort } from '../../test/helpers/free-port.ts';
import type { BrokerHandle } from '../shared/broker-process.ts';
import { isAlive, spawnPiped, stopProcess } from '../shared/process.ts';
import { REPO_ROOT } from '../shared/repo-root.ts';
import { waitForPort } from '../shared/wait-for-port.ts';

/** Starts bare-aedes.ts on an ephemeral loopback port: aedes as the gateway uses it, with nothing of the gateway's. */
export async function startBareAedes(startTimeoutMs: number): Promise<BrokerHandle> {
  const port = await freePort();
  const script = path.join(REPO_ROOT, 'bench/broker/bare-aedes.ts');
  const { child, tail } = spawnPiped(process.execPath, ['--import', 'tsx', script, String(port)], REPO_ROOT);
  const stop = (): ReturnType<BrokerHandle['stop']> => stopProcess(child, 'SIGTERM', 5000);
  try {
    await waitForPort(port, startTimeoutMs, () => isAlive(child));
    if (child.pid === undefined) throw new Error('no pid');
    return { name: 'aedes', pid: child.pid, port, alive: () => isAlive(child), logTail: () => tail.toString(), stop };
  } catch (err) {
    await stop();
    throw new Error(`bare aedes failed to start: ${err instanceof Error ? err.message : String(err)}\n${tail.toString()}`);
  }
}
