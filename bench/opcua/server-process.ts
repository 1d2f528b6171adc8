/**
 * Child process of the OPC UA benchmark: a node-opcua server on 127.0.0.1 (port chosen by the OS)
 * with N Double variables under Objects/Bench (ns=1;s=Bench.v<i>). When told to, it changes them in
 * ticks (see LoadPattern), writing the tick number as the value with setValueFromSource, which stamps
 * the source timestamp. It counts the changes it makes and how well it keeps the tick cadence.
 *
 * Started as `node --import tsx bench/opcua/server-process.ts` with an IPC channel; not a CLI.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { DataType, MonitoringMode, OPCUACertificateManager, OPCUAServer, Subscription, Variant, type UAVariable } from 'node-opcua';
import type { LoadPattern, ParentToServer, ServerCounts, ServerSetup, ServerToParent } from './protocol.ts';

function send(message: ServerToParent): void {
  process.send?.(message);
}

let server: OPCUAServer | undefined;
let manager: OPCUACertificateManager | undefined;
const variables: UAVariable[] = [];

let pattern: LoadPattern | null = null;
let timer: NodeJS.Timeout | undefined;
/** performance.now() of the next tick slot. */
let nextSlot = 0;
let ticks = 0;
let changes = 0;
let skippedSlots = 0;
let tickBusyMax = 0;
let tickBusySum = 0;
let tickCount = 0;
const loopDelay = monitorEventLoopDelay({ resolution: 10 });

async function start(setup: ServerSetup): Promise<void> {
  const started = Date.now();
  // A server setting, as on a PLC: node-opcua revises any faster request up to 50 ms by default.
  Subscription.minimumPublishingInterval = setup.minimumPublishingIntervalMs;
  manager = new OPCUACertificateManager({ rootFolder: setup.pkiDir, automaticallyAcceptUnknownCertificate: true });
  await manager.initialize();
  server = new OPCUAServer({
    port: 0,
    hostname: '127.0.0.1',
    alternateHostname: '127.0.0.1',
    serverCertificateManager: manager,
    serverCapabilities: { operationLimits: { maxMonitoredItemsPerCall: setup.maxMonitoredItemsPerCall } },
  });
  await server.initialize();
  const addressSpace = server.engine.addressSpace;
  if (!addressSpace) throw new Error('the server has no address space');
  const namespace = addressSpace.getOwnNamespace();
  const folder = namespace.addObject({ organizedBy: addressSpace.rootFolder.objects, browseName: 'Bench' });
  for (let i = 0; i < setup.items; i++) {
    const variable = namespace.addVariable({
      componentOf: folder,
      browseName: `v${i}`,
      nodeId: `s=Bench.v${i}`,
      dataType: 'Double',
      minimumSamplingInterval: setup.minimumSamplingIntervalMs,
    });
    variable.setValueFromSource(new Variant({ dataType: DataType.Double, value: 0 }));
    variables.push(variable);
  }
  await server.start();
  const endpoint = server.getEndpointUrl();
  const port = Number(new URL(endpoint).port);
  if (!Number.isInteger(port) || port <= 0) throw new Error(`no port in the endpoint URL ${endpoint}`);
  loopDelay.enable();
  send({ type: 'ready', endpoint, port, startupMs: Date.now() - started });
}

function runTick(): void {
  timer = undefined;
  const p = pattern;
  if (p === null) return;
  const begin = performance.now();
  // Late by one slot or more (the previous tick, or something else, held the loop): skip the
  // missed slots rather than run ticks back to back, so the cadence stays the configured one.
  const late = Math.floor((begin - nextSlot) / p.tickMs);
  if (late > 0) {
    skippedSlots += late;
    nextSlot += late * p.tickMs;
  }
  ticks++;
  const first = ticks % p.every;
  for (let i = first; i < variables.length; i += p.every) {
    variables[i]?.setValueFromSource(new Variant({ dataType: DataType.Double, value: ticks }));
    changes++;
  }
  const busy = performance.now() - begin;
  tickBusySum += busy;
  tickCount++;
  if (busy > tickBusyMax) tickBusyMax = busy;
  nextSlot += p.tickMs;
  timer = setTimeout(runTick, Math.max(0, nextSlot - performance.now()));
}

function setLoad(next: LoadPattern | null): void {
  clearTimeout(timer);
  timer = undefined;
  pattern = next;
  if (next === null) return;
  nextSlot = performance.now() + next.tickMs;
  timer = setTimeout(runTick, next.tickMs);
}

/**
 * Subscription diagnostics summed over every session: notifications sent, queue overflows. Closed
 * subscriptions drop out, so the benchmark compares snapshots of the same (live) subscription.
 */
function notificationCounts(): { notificationsSent: number; queueOverflows: number } {
  let notificationsSent = 0;
  let queueOverflows = 0;
  for (const session of server?.engine.getSessions() ?? []) {
    for (const subscription of session.publishEngine.subscriptions) {
      notificationsSent += subscription.subscriptionDiagnostics.dataChangeNotificationsCount;
      queueOverflows += subscription.subscriptionDiagnostics.monitoringQueueOverflowCount;
    }
  }
  return { notificationsSent, queueOverflows };
}

/**
 * Lets one client at a time receive the changes (the bare client or the gateway, measured one after
 * the other): the other sessions' monitored items are disabled, so the server neither samples nor
 * queues for them; re-enabled, each reports its current value once.
 */
function reportTo(application: string): void {
  for (const session of server?.engine.getSessions() ?? []) {
    const mode = session.clientDescription?.applicationName.text === application ? MonitoringMode.Reporting : MonitoringMode.Disabled;
    for (const subscription of session.publishEngine.subscriptions) {
      for (const id of subscription.getMonitoredItems().serverHandles) subscription.getMonitoredItem(id)?.setMonitoringMode(mode);
    }
  }
}

function snapshot(): ServerCounts {
  const counts: ServerCounts = {
    at: Date.now(),
    ticks,
    changes,
    ...notificationCounts(),
    skippedSlots,
    maxTickMs: tickBusyMax,
    meanTickMs: tickCount > 0 ? tickBusySum / tickCount : 0,
    loopDelayP99Ms: loopDelay.count > 0 ? loopDelay.percentile(99) / 1e6 : 0,
    loopDelayMaxMs: loopDelay.count > 0 ? loopDelay.max / 1e6 : 0,
  };
  tickBusyMax = 0;
  tickBusySum = 0;
  tickCount = 0;
  loopDelay.reset();
  return counts;
}

async function stop(): Promise<void> {
  setLoad(null);
  loopDelay.disable();
  await server?.shutdown(0);
  await manager?.dispose();
}

process.on('message', (raw: unknown) => {
  const message = raw as ParentToServer;
  switch (message.type) {
    case 'setup':
      start(message.setup).catch((error: unknown) => {
        send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
        process.exit(1);
      });
      return;
    case 'load':
      setLoad(message.pattern);
      return;
    case 'counts':
      send({ type: 'counts', requestId: message.requestId, counts: snapshot() });
      return;
    case 'reporting':
      reportTo(message.application);
      return;
    case 'stop':
      void stop().finally(() => process.exit(0));
      return;
  }
});

// The benchmark going away (or crashing) takes the server with it.
process.once('disconnect', () => process.exit(0));
