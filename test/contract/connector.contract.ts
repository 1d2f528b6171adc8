// The rules every Connector keeps, shared the way aedes-persistence shares abstract.js: each protocol's
// *.contract.test.ts calls connectorContract with a real peer (the built-in simulator) and its devices.
// The connector is made through the protocol registry and driven directly: no worker, gateway or MQTT.
import { createHook } from 'node:async_hooks';
import { afterAll, beforeAll, describe, expect, it, type OnTestFinishedHandler } from 'vitest';
import { ConnectorError } from '../../connectors/errors.ts';
import { protocolOf } from '../../connectors/registry.ts';
import { sameValue, tagId, type Connector, type Sample, type WriteRequest } from '../../connectors/sdk.ts';
import { deviceSchema, type DeviceConfig } from '../../schemas/mapping.ts';
import { ErrorCodes } from '../../shared/errors.ts';
import { ConnectorRecorder } from '../helpers/connector-recorder.ts';
import { sleep } from '../helpers/mqtt.ts';
import { eventually } from '../helpers/until.ts';

export interface ContractPeer {
  /** Devices of one protocol as a mapping file gives them (parsed here), all served by this peer. */
  devices: unknown[];
  /** A writable tag, a value its device does not hold yet, and the value as the peer then holds it. */
  write: { tagId: string; value: WriteRequest['value']; onPeer(): Promise<unknown> };
  /** A value the writable tag's device data type cannot hold. */
  outOfRange: WriteRequest['value'];
  /** A tag that is not writable. */
  readOnly: string;
  /** The peer stops answering (its server or slave gone), then answers again. */
  goAway(): Promise<void>;
  comeBack(): Promise<void>;
  /** Client connections (or sessions) the peer holds open; undefined where it cannot tell (a serial line). */
  connections?(): number;
  close(): Promise<void>;
}

const WAIT_MS = 8000;
/** How long a library may take to let its own sockets and timers go after stop resolved. */
const STOP_GRACE_MS = 1000;

/** Active handles and requests by type (TCPSocketWrap, …), from process.getActiveResourcesInfo(), timers aside (see trackTimers). */
function handles(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const type of process.getActiveResourcesInfo()) if (type !== 'Timeout') counts.set(type, (counts.get(type) ?? 0) + 1);
  return counts;
}

/** What `after` holds beyond `before`, as `type +n`. */
function extra(before: Map<string, number>, after: Map<string, number>): string[] {
  return [...after].filter(([type, count]) => count > (before.get(type) ?? 0)).map(([type, count]) => `${type} +${count - (before.get(type) ?? 0)}`);
}

interface NodeTimer {
  _destroyed?: boolean;
  _idleTimeout?: number;
  _onTimeout?: unknown;
}

/**
 * The timers created from now on (a count of all timers would move with vitest's own). `live()` names
 * those still set: neither cleared nor, for a timeout, fired.
 */
function trackTimers(): { live(): string[]; end(): void } {
  const timers = new Set<NodeTimer>();
  const hook = createHook({
    init: (_id, type, _trigger, resource) => void (type === 'Timeout' && timers.add(resource as NodeTimer)),
  }).enable();
  return {
    live: () => [...timers].filter((t) => t._destroyed !== true).map((t) => `${t._idleTimeout} ms: ${String(t._onTimeout).slice(0, 80)}`),
    end: () => void hook.disable(),
  };
}

export function connectorContract(name: string, setup: () => Promise<ContractPeer>): void {
  describe(`Connector contract: ${name}`, () => {
    let peer: ContractPeer;
    let devices: DeviceConfig[];
    let tagIds: string[];

    beforeAll(async () => {
      peer = await setup();
      devices = peer.devices.map((device) => deviceSchema.parse(device));
      tagIds = devices.flatMap((device) => device.tags.map((tag) => tagId(device.name, tag.name)));
    });
    afterAll(() => peer?.close());

    /** A started connector with its recorder; stopped when the test ends, unless the test stopped it. */
    async function started(onFinished: (handler: OnTestFinishedHandler) => void): Promise<{ connector: Connector; recorder: ConnectorRecorder; stop(): Promise<void> }> {
      const first = devices[0];
      if (!first) throw new Error('the contract needs a device');
      const recorder = new ConnectorRecorder();
      const connector = await protocolOf(first.protocol).createConnector(devices, recorder.context.log);
      let stopping: Promise<void> | undefined;
      const stop = () => (stopping ??= connector.stop());
      onFinished(stop);
      await connector.start(recorder.context);
      return { connector, recorder, stop };
    }

    const goodAfter = (recorder: ConnectorRecorder, from: number) => (id: string) => recorder.samples.slice(from).some((s) => s.tagId === id && s.quality === 'good');
    const allGood = (recorder: ConnectorRecorder, from = 0) => () => tagIds.every(goodAfter(recorder, from));

    it('reports connecting then connected for every device, and a good first sample for every tag', async ({ onTestFinished }) => {
      const { recorder } = await started(onTestFinished);
      expect(await eventually(allGood(recorder), WAIT_MS)).toBe(true);
      for (const device of devices) {
        const states = recorder.statuses.filter((s) => s.device === device.name).map((s) => s.state);
        expect(states.slice(0, 2)).toEqual(['connecting', 'connected']);
      }
      const firstOf = new Map<string, Sample>();
      for (const sample of recorder.samples) if (!firstOf.has(sample.tagId)) firstOf.set(sample.tagId, sample);
      expect([...firstOf.keys()].sort()).toEqual([...tagIds].sort());
      expect([...firstOf.values()].filter((s) => s.quality !== 'good')).toEqual([]);
    });

    it('marks every tag bad with a UNS_ERR_* code and reports error while the peer is gone, then good again on one connection', async ({ onTestFinished }) => {
      const { recorder } = await started(onTestFinished);
      expect(await eventually(allGood(recorder), WAIT_MS)).toBe(true);
      const samplesFrom = recorder.samples.length;
      const statusesFrom = recorder.statuses.length;
      await peer.goAway();
      const badAfter = (id: string) => recorder.samples.slice(samplesFrom).some((s) => s.tagId === id && s.quality === 'bad');
      const errored = () => devices.every((d) => recorder.statuses.slice(statusesFrom).some((s) => s.device === d.name && s.state === 'error'));
      expect(await eventually(() => tagIds.every(badAfter) && errored(), WAIT_MS)).toBe(true);

      const backFrom = recorder.samples.length;
      const statusesBackFrom = recorder.statuses.length;
      await peer.comeBack();
      expect(await eventually(allGood(recorder, backFrom), WAIT_MS)).toBe(true);

      const outage = recorder.samples.slice(samplesFrom, backFrom);
      for (const id of tagIds) {
        const bad = outage.filter((s) => s.tagId === id);
        expect(bad.length, `${id} went bad`).toBeGreaterThan(0);
        expect(bad.every((s) => s.quality === 'bad' && s.value === null && /^UNS_ERR_/.test(s.status ?? ''))).toBe(true);
        // Once: a retry that fails the same way emits nothing new.
        const repeats = bad.filter((s, index) => index > 0 && s.status === bad[index - 1]?.status);
        expect(repeats, `${id} repeated its bad sample`).toEqual([]);
      }
      const errors = recorder.statuses.slice(statusesFrom, statusesBackFrom).filter((s) => s.state === 'error');
      expect(errors.every((s) => /^UNS_ERR_/.test(s.error?.code ?? ''))).toBe(true);

      // Let the samples of a second connection, if any, arrive before counting.
      await sleep(300);
      for (const device of devices) {
        const connected = recorder.statuses.slice(statusesBackFrom).filter((s) => s.device === device.name && s.state === 'connected');
        expect(connected).toHaveLength(1);
      }
      if (peer.connections) expect(peer.connections()).toBe(1);
    });

    it('emits the read-back sample before the write resolves', async ({ onTestFinished }) => {
      const { connector, recorder } = await started(onTestFinished);
      expect(await eventually(allGood(recorder), WAIT_MS)).toBe(true);
      const from = recorder.samples.length;
      let seenAtResolve: Sample[] = [];
      const result = await connector.write({ requestId: 1, tagId: peer.write.tagId, value: peer.write.value }).then((done) => {
        seenAtResolve = recorder.samples.slice(from);
        return done;
      });
      expect(sameValue(result.value, peer.write.value as Sample['value'])).toBe(true);
      const readBack = seenAtResolve.filter((s) => s.tagId === peer.write.tagId && s.timestamp === result.timestamp);
      expect(readBack).toEqual([expect.objectContaining({ quality: 'good', value: result.value })]);
      expect(await peer.write.onPeer()).toEqual(peer.write.value);
    });

    it('refuses unknown, non-writable and out-of-range writes with UNS_ERR_WRITE_INVALID, writing nothing', async ({ onTestFinished }) => {
      const { connector, recorder } = await started(onTestFinished);
      expect(await eventually(allGood(recorder), WAIT_MS)).toBe(true);
      const onPeer = await peer.write.onPeer();
      const device = devices[0]?.name ?? '';
      const refusals = [
        { requestId: 1, tagId: tagId(device, 'no-such-tag'), value: 1 },
        { requestId: 2, tagId: peer.readOnly, value: 1 },
        { requestId: 3, tagId: peer.write.tagId, value: peer.outOfRange },
      ];
      for (const request of refusals) {
        const error: unknown = await connector.write(request).then(
          () => undefined,
          (reason: unknown) => reason,
        );
        expect(error, request.tagId).toBeInstanceOf(ConnectorError);
        expect((error as ConnectorError).code).toBe(ErrorCodes.WRITE_INVALID);
      }
      expect(await peer.write.onPeer()).toEqual(onPeer);
    });

    it('stop leaves no socket, timer or peer connection open', async ({ onTestFinished }) => {
      const before = handles();
      const timers = trackTimers();
      onTestFinished(() => timers.end());
      const { recorder, stop } = await started(onTestFinished);
      expect(await eventually(allGood(recorder), WAIT_MS)).toBe(true);
      if (peer.connections) expect(peer.connections()).toBe(1);
      await stop();
      const closed = await eventually(() => extra(before, handles()).length === 0 && timers.live().length === 0 && (peer.connections?.() ?? 0) === 0, STOP_GRACE_MS);
      expect(extra(before, handles())).toEqual([]);
      expect(timers.live()).toEqual([]);
      expect(peer.connections?.() ?? 0).toBe(0);
      expect(closed).toBe(true);
      // Nothing is emitted once stopped.
      const count = recorder.samples.length;
      await sleep(200);
      expect(recorder.samples.length).toBe(count);
    });
  });
}
