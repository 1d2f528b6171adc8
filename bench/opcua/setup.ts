/** Starting what a bench:opcua configuration measures: the OPC UA server child, the gateway and its MQTT subscriber. */
import path from 'node:path';
import { startGatewayProcess, type GatewayProcess } from '../shared/measured-gateway.ts';
import { REPO_ROOT } from '../shared/repo-root.ts';
import { fmtInt, fmtNum } from '../shared/table.ts';
import { writeOpcuaGatewayConfig } from './config.ts';
import { progress } from './progress.ts';
import { samplingLabel } from './measurements.ts';
import { SERVER_MAX_ITEMS_PER_CALL, type Options } from './options.ts';
import { startOpcuaServer, type OpcuaServerProcess } from './server-client.ts';
import { OpcuaSubscriber } from './subscriber.ts';

/** The server with `items` Double variables, its PKI in `dir`. */
export async function startServer(options: Options, dir: string, samplingMs: number, items: number): Promise<OpcuaServerProcess> {
  progress(`${samplingLabel(samplingMs)}: starting the OPC UA server (node-opcua, ${fmtInt(items)} Double variables) in a child process`);
  const server = await startOpcuaServer(
    {
      items,
      pkiDir: path.join(dir, 'server-pki'),
      minimumSamplingIntervalMs: samplingMs,
      minimumPublishingIntervalMs: options.publishingMs,
      maxMonitoredItemsPerCall: SERVER_MAX_ITEMS_PER_CALL,
    },
    REPO_ROOT,
    90_000 + items, // a millisecond more per item: 50,000 take a while on a busy host
  );
  progress(`server at ${server.endpoint} after ${fmtNum(server.startupMs / 1000, 1)} s`);
  return server;
}

export interface StartedGateway {
  gateway: GatewayProcess;
  /** Connected; counting from now on. */
  subscriber: OpcuaSubscriber;
  /** Date.now() before the gateway was spawned. */
  startedAt: number;
  /** Spawn → listener ready, ms. */
  startupMs: number;
}

/** The gateway as npm script `script` runs it, mapping every item of `server`, and the subscriber on bench/ua/#. */
export async function startGatewayAndSubscriber(
  options: Options,
  dir: string,
  server: OpcuaServerProcess,
  samplingMs: number,
  items: number,
  script: string,
): Promise<StartedGateway> {
  const configFile = writeOpcuaGatewayConfig(path.join(dir, `gateway-${script.replace(/\W/g, '-')}-${items}`), {
    items,
    endpoint: server.endpoint,
    publishingIntervalMs: options.publishingMs,
    samplingIntervalMs: samplingMs,
    maxItemsPerCall: SERVER_MAX_ITEMS_PER_CALL,
  });
  progress(`starting the gateway (npm ${script})${options.cpuProfDir === undefined ? '' : ` under --cpu-prof → ${options.cpuProfDir}`}`);
  const startedAt = Date.now();
  const gateway = await startGatewayProcess({ repoRoot: REPO_ROOT, configFile, startTimeoutMs: 60_000, cpuProfDir: options.cpuProfDir, script });
  const startupMs = Date.now() - startedAt;
  try {
    const subscriber = await OpcuaSubscriber.connect(gateway.port, items);
    return { gateway, subscriber, startedAt, startupMs };
  } catch (error) {
    await gateway.stop(5000);
    throw error;
  }
}
