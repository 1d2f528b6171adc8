import { Backoff } from '../../connectors/backoff.ts';
import { ErrorCodes, type WireError } from '../../shared/errors.ts';
import type { Placement } from '../../connectors/protocol.ts';
import { protocolOf } from '../../connectors/registry.ts';
import { SampleDecoder } from '../../connectors/sample-batch.ts';
import { tagId, type DeviceStats, type DeviceStatusReport, type HostToWorker, type Sample, type WorkerSetup, type WorkerToHost, type WriteRequest, type WriteResult } from '../../connectors/sdk.ts';
import type { DeviceConfig } from '../../schemas/mapping.ts';
import type { Logger } from '../log.ts';
import { connectorHeapLimits } from './heap-limits.ts';
import { spawnConnector, type ConnectorRunner } from './runner.ts';

const STOP_TIMEOUT_MS = 5000;
/**
 * How long a worker that reported `stopped` may take to exit on its own before it is terminated. Work
 * still in flight (an RSA key pair node-opcua is generating) must not be cut: Node 20 aborts the whole
 * process when a worker is terminated as such a job completes.
 */
const EXIT_GRACE_MS = 1000;
const WRITE_TIMEOUT_MS = 10_000;
const SHED_LOG_INTERVAL_MS = 60_000;

export interface HostEvents {
  samples(samples: Sample[]): void;
  status(report: DeviceStatusReport): void;
  /** Devices' read counts, at most once a second per worker (for the metrics). */
  stats?(reports: DeviceStats[]): void;
  /** The string the samples' consumers key a tag id by, for the samples to carry (see SampleDecoder). */
  knownTagId?(id: string): string | undefined;
}

/** Devices that share a worker. */
interface WorkerGroup extends Placement {
  setup: WorkerSetup;
}

interface WorkerSlot extends WorkerGroup {
  worker: ConnectorRunner | undefined;
  backoff: Backoff;
  restartTimer: NodeJS.Timeout | undefined;
  /** No device needs it any more (a reload): its exit is no crash. */
  retired: boolean;
}

/**
 * Which devices share a connector: every device of a protocol in one worker thread (each device keeps
 * its own connection and queue there), except those its descriptor places apart, as a serial line.
 */
function groupDevices(devices: readonly DeviceConfig[]): WorkerGroup[] {
  const groups = new Map<string, WorkerGroup>();
  for (const device of devices) {
    const { key, isolation } = protocolOf(device.protocol).placement?.(device) ?? { key: device.protocol, isolation: 'thread' };
    const group = groups.get(key);
    if (group) group.setup.devices.push(device);
    else groups.set(key, { key, isolation, setup: { protocol: device.protocol, devices: [device] } });
  }
  return [...groups.values()];
}

function newSlot(group: WorkerGroup): WorkerSlot {
  return { ...group, worker: undefined, backoff: new Backoff(1000, 30_000), restartTimer: undefined, retired: false };
}

/** Owns the connector workers: starts them, restarts a crashed one with backoff, routes writes. */
export class ConnectorHost {
  private readonly slots: WorkerSlot[] = [];
  private readonly slotByDevice = new Map<string, WorkerSlot>();
  private readonly pending = new Map<number, { resolve: (result: WriteResult) => void; timer: NodeJS.Timeout; slot: WorkerSlot }>();
  private nextRequestId = 1;
  private started = false;
  private stopping = false;
  /** Intermediate values the workers shed since the start (see SampleOutbox). */
  private shed = 0;
  private shedLoggedAt = 0;

  constructor(
    devices: readonly DeviceConfig[],
    private readonly events: HostEvents,
    private readonly log: Logger,
  ) {
    for (const group of groupDevices(devices)) {
      const slot = newSlot(group);
      this.slots.push(slot);
      for (const device of group.setup.devices) this.slotByDevice.set(device.name, slot);
    }
  }

  start(): void {
    this.started = true;
    for (const slot of this.slots) this.spawn(slot);
  }

  /**
   * A reload: the devices from now on. A worker whose devices changed gets them (it restarts only the
   * connections whose settings changed), a worker no device needs any more stops, a new one starts.
   */
  reconfigure(devices: readonly DeviceConfig[]): void {
    const groups = groupDevices(devices);
    const keys = new Set(groups.map((group) => group.key));
    for (const slot of this.slots.filter((candidate) => !keys.has(candidate.key))) this.retire(slot);
    this.slotByDevice.clear();
    for (const group of groups) {
      let slot = this.slots.find((candidate) => candidate.key === group.key);
      if (slot === undefined) {
        slot = newSlot(group);
        this.slots.push(slot);
        if (this.started && !this.stopping) this.spawn(slot);
      } else {
        slot.setup = group.setup;
        slot.worker?.post({ type: 'configure', devices: group.setup.devices });
      }
      for (const device of group.setup.devices) this.slotByDevice.set(device.name, slot);
    }
  }

  /** Sends a write to the device's worker; resolves with its outcome, never rejects. */
  write(device: string, tagName: string, value: WriteRequest['value']): Promise<WriteResult> {
    const requestId = this.nextRequestId++;
    const slot = this.slotByDevice.get(device);
    const worker = slot?.worker;
    if (!slot || !worker) {
      return Promise.resolve({ requestId, ok: false, error: { code: ErrorCodes.WORKER_CRASHED, message: `device ${device} has no running connector` } });
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        resolve({ requestId, ok: false, error: { code: ErrorCodes.WRITE_FAILED, message: `no answer from the connector within ${WRITE_TIMEOUT_MS} ms` } });
      }, WRITE_TIMEOUT_MS);
      this.pending.set(requestId, { resolve, timer, slot });
      const message: HostToWorker = { type: 'write', request: { requestId, tagId: tagId(device, tagName), value } };
      worker.post(message);
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.slots.map(async (slot) => {
        clearTimeout(slot.restartTimer);
        const worker = slot.worker;
        if (!worker) return;
        const exited = new Promise<void>((resolve) => worker.onExit(() => resolve()));
        worker.post({ type: 'stop' });
        const timer = setTimeout(() => worker.kill(), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  /** Stops a worker no device needs any more. */
  private retire(slot: WorkerSlot): void {
    slot.retired = true;
    this.slots.splice(this.slots.indexOf(slot), 1);
    clearTimeout(slot.restartTimer);
    const worker = slot.worker;
    if (worker === undefined) return;
    worker.post({ type: 'stop' });
    const timer = setTimeout(() => worker.kill(), STOP_TIMEOUT_MS);
    worker.onExit(() => {
      clearTimeout(timer);
      // What it answered before it exited has been answered; the rest will never be.
      this.failPending(slot, { code: ErrorCodes.WRITE_FAILED, message: 'a reload removed the device before its connector answered; nothing confirms the device took the value' });
    });
  }

  private spawn(slot: WorkerSlot): void {
    const worker = spawnConnector(slot.setup, slot.isolation, connectorHeapLimits(slot.setup));
    slot.worker = worker;
    const samples = new SampleDecoder((id) => this.events.knownTagId?.(id));
    worker.onMessage((message) => this.onMessage(slot, worker, message, samples));
    worker.onError((error) => this.log.error({ worker: slot.key, err: error.message }, 'connector failed'));
    worker.onExit((code) => {
      slot.worker = undefined;
      if (this.stopping || slot.retired) return;
      this.crashed(slot, code);
    });
  }

  /** Answers every write still pending in `slot`'s worker with `error`. */
  private failPending(slot: WorkerSlot, error: WireError): void {
    for (const [requestId, pending] of this.pending) {
      if (pending.slot !== slot) continue;
      clearTimeout(pending.timer);
      this.pending.delete(requestId);
      pending.resolve({ requestId, ok: false, error });
    }
  }

  private crashed(slot: WorkerSlot, code: number): void {
    this.failPending(slot, { code: ErrorCodes.WORKER_CRASHED, message: 'the connector stopped before answering' });
    const delay = slot.backoff.next();
    const error = { code: ErrorCodes.WORKER_CRASHED, message: `connector worker exited with code ${code}; restarting in ${delay} ms` };
    this.log.error({ worker: slot.key, ...error }, 'connector worker exited');
    const now = Date.now();
    for (const device of slot.setup.devices) {
      this.events.status({ device: device.name, state: 'error', error, timestamp: now });
      this.events.samples(device.tags.map((tag) => ({ tagId: tagId(device.name, tag.name), value: null, quality: 'bad', status: error.code, timestamp: now })));
    }
    slot.restartTimer = setTimeout(() => this.spawn(slot), delay);
  }

  /** Intermediate values a worker shed because the main thread was behind: a warning a minute at most. */
  private noteShed(slot: WorkerSlot, shed: number): void {
    if (shed === 0) return;
    this.shed += shed;
    const now = Date.now();
    if (now - this.shedLoggedAt < SHED_LOG_INTERVAL_MS) return;
    this.shedLoggedAt = now;
    this.log.warn({ worker: slot.key, shed: this.shed }, 'the main thread is behind: intermediate values shed, the latest of each tag kept');
  }

  private onMessage(slot: WorkerSlot, worker: ConnectorRunner, message: WorkerToHost, samples: SampleDecoder): void {
    switch (message.type) {
      case 'samples':
        try {
          this.events.samples(samples.decode(message.batch));
        } finally {
          // Even if publishing failed: a worker never told would keep its samples for ever.
          worker.post({ type: 'taken' });
        }
        this.noteShed(slot, message.shed);
        return;
      case 'status':
        // A device a reload removed may still report while its connection closes: it is gone already.
        if (!this.slotByDevice.has(message.report.device)) return;
        if (message.report.state === 'connected') slot.backoff.reset();
        this.events.status(message.report);
        return;
      case 'stats': {
        const reports = message.reports.filter((report) => this.slotByDevice.has(report.device));
        if (reports.length > 0) this.events.stats?.(reports);
        return;
      }
      case 'write-result': {
        const pending = this.pending.get(message.result.requestId);
        if (!pending) return;
        clearTimeout(pending.timer);
        this.pending.delete(message.result.requestId);
        pending.resolve(message.result);
        return;
      }
      case 'log':
        this.log[message.level]({ worker: slot.key, ...message.data }, message.message);
        return;
      case 'stopped': {
        // Its connections are closed: libraries' leftover timers must not hold the worker up for long.
        const worker = slot.worker;
        setTimeout(() => worker?.kill(), EXIT_GRACE_MS).unref();
        return;
      }
    }
  }
}
