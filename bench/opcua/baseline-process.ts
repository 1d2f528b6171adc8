/**
 * Child process of bench:opcua: the bare-client baseline. A node-opcua client with one session and
 * one subscription, monitored items created in batches with exactly the subscription and monitoring
 * parameters of the gateway's connector (connectors/opcua/subscription-settings.ts) and its transport
 * settings (connectors/opcua/session.ts); each data change
 * notification is counted as a change (item, tick) and nothing else is done with it.
 *
 * Started as `node --import tsx bench/opcua/baseline-process.ts` with an IPC channel; not a CLI.
 */
import { AttributeIds, MessageSecurityMode, OPCUACertificateManager, OPCUAClient, SecurityPolicy, TimestampsToReturn, type ClientSession } from 'node-opcua';
import { monitoringParameters, subscriptionRequest } from '../../connectors/opcua/subscription-settings.ts';
import { CLIENT_TRANSPORT, operationLimits } from '../../connectors/opcua/session.ts';
import { ChangeTracker, type PhaseTally } from './change-tally.ts';
import { BASELINE_APPLICATION, type BaselineCounts, type BaselineSetup, type BaselineToParent, type ParentToBaseline, type TallySummary } from './baseline-protocol.ts';

function send(message: BaselineToParent): void {
  process.send?.(message);
}

let manager: OPCUACertificateManager | undefined;
let client: OPCUAClient | undefined;
let session: ClientSession | undefined;
let tracker: ChangeTracker | undefined;
let tally: PhaseTally | undefined;
let values = 0;
let lastValueAt = 0;

async function start(setup: BaselineSetup): Promise<void> {
  const started = Date.now();
  const changes = new ChangeTracker(setup.items);
  tracker = changes;
  manager = new OPCUACertificateManager({ rootFolder: setup.pkiDir, automaticallyAcceptUnknownCertificate: true });
  await manager.initialize();
  client = OPCUAClient.create({
    applicationName: BASELINE_APPLICATION,
    endpointMustExist: false,
    securityMode: MessageSecurityMode.None,
    securityPolicy: SecurityPolicy.None,
    clientCertificateManager: manager,
    connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
    keepSessionAlive: false,
    transportSettings: CLIENT_TRANSPORT,
  });
  await client.connect(setup.endpoint);
  const s = await client.createSession();
  session = s;
  const subscription = await s.createSubscription2(subscriptionRequest(setup.publishingIntervalMs));
  const serverLimit = (await operationLimits(s)).monitoredItemsPerCall;
  const batchSize = Math.min(setup.maxItemsPerCall, serverLimit > 0 ? serverLimit : Number.POSITIVE_INFINITY);
  const parameters = monitoringParameters(setup.samplingIntervalMs, setup.queueSize, 0);
  for (let first = 0; first < setup.items; first += batchSize) {
    const count = Math.min(batchSize, setup.items - first);
    const nodes = Array.from({ length: count }, (_, k) => ({ nodeId: `ns=1;s=Bench.v${first + k}`, attributeId: AttributeIds.Value }));
    const group = await subscription.monitorItems(nodes, parameters, TimestampsToReturn.Both);
    group.on('changed', (_item, dataValue, index) => {
      const received = Date.now();
      values++;
      lastValueAt = received;
      const tick = dataValue.value.value as unknown;
      if (dataValue.statusCode.isGood() && typeof tick === 'number') changes.good(first + index, tick, dataValue.sourceTimestamp?.getTime() ?? received, received);
    });
  }
  const waitAll = (): void => {
    if (changes.goodCount >= setup.items) send({ type: 'ready', startupMs: Date.now() - started });
    else setTimeout(waitAll, 50);
  };
  waitAll();
}

function summary(t: PhaseTally): TallySummary {
  const { latency } = t;
  return {
    delivered: t.deliveredUpTo(t.toTick),
    duplicates: t.duplicates,
    outOfOrder: t.outOfOrder,
    lastDelivery: t.lastDelivery,
    latency: { count: latency.count, negative: latency.negative, p50: latency.percentile(50), p99: latency.percentile(99), mean: latency.mean(), max: latency.max },
  };
}

function counts(): BaselineCounts {
  return { values, goodItems: tracker?.goodCount ?? 0, lastValueAt, tally: tally === undefined ? undefined : summary(tally) };
}

async function stop(): Promise<void> {
  await session?.close(true).catch(() => undefined);
  await client?.disconnect().catch(() => undefined);
  await manager?.dispose();
}

process.on('message', (raw: unknown) => {
  const message = raw as ParentToBaseline;
  switch (message.type) {
    case 'setup':
      start(message.setup).catch((error: unknown) => {
        send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
        process.exit(1);
      });
      return;
    case 'open':
      tally = tracker?.openPhase(message.fromTick);
      return;
    case 'window-end':
      if (tally) tally.toTick = message.toTick;
      return;
    case 'close':
      if (tally) tally.closed = true;
      return;
    case 'counts':
      send({ type: 'counts', requestId: message.requestId, counts: counts() });
      return;
    case 'stop':
      void stop().finally(() => process.exit(0));
      return;
  }
});

// The benchmark going away (or crashing) takes the client with it.
process.once('disconnect', () => process.exit(0));
