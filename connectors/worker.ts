/** Generic connector bootstrap, in a worker thread or a child process: builds the connector and relays messages. */
import { parentPort, workerData } from 'node:worker_threads';
import { ErrorCodes } from '../shared/errors.ts';
import { ConnectionSet } from './connection-set.ts';
import { ConnectorError } from './errors.ts';
import { SampleOutbox } from './outbox.ts';
import { SampleEncoder } from './sample-batch.ts';
import { protocolOf } from './registry.ts';
import type { ConnectorContext, HostToWorker, WorkerSetup, WorkerToHost, WriteRequest, WriteResult } from './sdk.ts';

interface Channel {
  /** `transfer`: buffers handed over rather than copied (a child process's IPC copies them). */
  send(message: WorkerToHost, transfer?: ArrayBuffer[]): void;
  onMessage(handler: (message: HostToWorker) => void): void;
  close(): void;
}

/** In a worker thread the setup comes as workerData; in a child process, as the first IPC message. */
async function openChannel(): Promise<{ channel: Channel; setup: WorkerSetup }> {
  const port = parentPort;
  if (port) {
    return {
      setup: workerData as WorkerSetup,
      channel: { send: (m, transfer) => port.postMessage(m, transfer), onMessage: (h) => port.on('message', h), close: () => port.close() },
    };
  }
  // Messages that come while the connector loads wait for its handler.
  const early: HostToWorker[] = [];
  let handler: ((message: HostToWorker) => void) | undefined;
  const setup = await new Promise<WorkerSetup>((resolve) =>
    process.on('message', (message: HostToWorker | { type: 'setup'; setup: WorkerSetup }) => {
      if (message.type === 'setup') resolve(message.setup);
      else if (handler) handler(message);
      else early.push(message);
    }),
  );
  // The gateway going away must take its connectors with it.
  process.once('disconnect', () => process.exit(0));
  return {
    setup,
    channel: {
      send: (m) => process.send?.(m),
      onMessage: (h) => {
        handler = h;
        for (const message of early.splice(0)) h(message);
      },
      close: () => process.disconnect(),
    },
  };
}

const { channel, setup } = await openChannel();
const log: ConnectorContext['log'] = (level, message, data) => channel.send({ type: 'log', level, message, ...(data ? { data } : {}) });
const encoder = new SampleEncoder();
const outbox = new SampleOutbox((samples, shed) => {
  const batch = encoder.encode(samples);
  channel.send({ type: 'samples', batch, shed }, [batch.columns]);
});
const connections = new ConnectionSet(protocolOf(setup.protocol), {
  emit: (samples) => outbox.emit(samples),
  status: (report) => {
    outbox.flush();
    channel.send({ type: 'status', report });
  },
  stats: (reports) => channel.send({ type: 'stats', reports }),
  log,
});
channel.onMessage((message) => {
  switch (message.type) {
    case 'taken':
      outbox.taken();
      return;
    case 'configure':
      connections.configure(message.devices).then(
        (started) => log('info', 'connector reconfigured', { restarted: started }),
        (error: unknown) => log('error', 'connector reconfiguration failed', { err: error instanceof Error ? error.message : String(error) }),
      );
      return;
    case 'stop':
      connections.stop().finally(() => {
        outbox.flush();
        channel.send({ type: 'stopped' });
        channel.close();
      });
      return;
    case 'write':
      write(message.request);
  }
});
await connections.configure(setup.devices);

function write(request: WriteRequest): void {
  const { requestId } = request;
  connections
    .write(request)
    .then(
      ({ value, timestamp }): WriteResult => ({ requestId, ok: true, value, timestamp }),
      (error: unknown): WriteResult => {
        const wire =
          error instanceof ConnectorError
            ? error.toWire()
            : { code: ErrorCodes.WRITE_FAILED, message: error instanceof Error ? error.message : String(error) };
        return { requestId, ok: false, error: wire };
      },
    )
    .then((result) => {
      // The read-back value, if it waits in the outbox, goes before its result.
      outbox.flush();
      channel.send({ type: 'write-result', result });
    });
}
