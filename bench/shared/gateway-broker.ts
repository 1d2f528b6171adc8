import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AccessInput } from './acl-config.ts';
import { stopBroker, type BrokerHandle } from './broker-process.ts';
import { makeTempDir, removeTempDir } from './cleanup.ts';
import { BENCH_GATEWAY_YAML, launchGateway, type LaunchedGateway } from './gateway-process.ts';
import type { Credentials } from './mqtt-clients.ts';
import { isAlive } from './process.ts';

/** Config for the gateway: one TCP listener on an OS-chosen loopback port, no mappings, and `access` if given. */
export function gatewayConfigYaml(dataDir: string, access?: AccessInput): string {
  return [
    ...BENCH_GATEWAY_YAML,
    'store:',
    `  dataDir: ${JSON.stringify(dataDir)}`,
    'mappings: []',
    // JSON is YAML too.
    ...(access === undefined ? [] : [`access: ${JSON.stringify(access)}`]),
    '',
  ].join('\n');
}

export interface GatewayVariant {
  /** As reports name it (default "gateway"). */
  name?: string;
  access?: AccessInput;
  /** What clients log in with (a user of `access`); absent: anonymous. */
  credentials?: Credentials;
  /** Run under `node --cpu-prof`, writing the profile here when the gateway exits. */
  cpuProfDir?: string;
}

/** Start the gateway (see gateway-process.ts) on a fresh temp dir, which its stop removes. */
export async function startGateway(bin: string, cwd: string, startTimeoutMs: number, variant: GatewayVariant = {}): Promise<BrokerHandle> {
  const dir = makeTempDir('uns-bench-gw-');
  const configFile = path.join(dir, 'gateway.yaml');
  writeFileSync(configFile, gatewayConfigYaml(path.join(dir, 'data'), variant.access));
  let gw: LaunchedGateway;
  try {
    gw = await launchGateway({ repoRoot: cwd, bin, configFile, startTimeoutMs, cpuProfDir: variant.cpuProfDir });
  } catch (err) {
    removeTempDir(dir);
    throw err;
  }
  return {
    name: variant.name ?? 'gateway',
    pid: gw.pid,
    port: gw.port,
    credentials: variant.credentials,
    alive: () => isAlive(gw.child),
    logTail: () => gw.tail.toString(),
    stop: () => stopBroker(gw.child, 5000, dir),
  };
}
