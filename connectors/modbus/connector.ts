import { planReads, type ReadRequest } from './plan.ts';
import type { ReadCoilResult, ReadRegisterResult } from 'modbus-serial/ModbusRTU.js';
import type { ModbusDeviceConfig } from '../../schemas/modbus.ts';
import { Backoff } from '../backoff.ts';
import { ChangeFilter } from '../change-filter.ts';
import { ConnectorCodes, ConnectorError } from '../errors.ts';
import type { Connector, ConnectorContext, Sample, SampleValue, WriteRequest } from '../sdk.ts';
import { encodeRegisters, toWords } from './codec.ts';
import { classify, isConnectionLost } from './errors.ts';
import { toRaw } from './scaling.ts';
import { badSample, compileTags, sampleFrom, type CompiledTag, type ReadResult } from './tag-map.ts';
import { call, closeClient, describeTransport, openClient, RequestQueue, type ModbusClient } from './transport.ts';

/** Timeouts in a row, with no reply in between, after which the connection counts as lost. */
const TIMEOUTS_BEFORE_RECONNECT = 3;

interface PollGroup {
  device: ModbusDeviceConfig;
  name: string;
  intervalMs: number;
  requests: ReadRequest[];
  timer?: NodeJS.Timeout;
  running: boolean;
}

/**
 * Modbus devices sharing one connection (one TCP device, or every unit on one RTU line). Requests go
 * one at a time through a queue; each poll group reads its block-read plan on its own interval.
 */
export class ModbusConnector implements Connector {
  private readonly tags = new Map<string, CompiledTag>();
  private readonly groups: PollGroup[] = [];
  private readonly queue = new RequestQueue();
  private readonly backoff: Backoff;
  private readonly first: ModbusDeviceConfig;
  private context: ConnectorContext | undefined;
  private client: ModbusClient | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private timeoutsInRow = 0;
  private readonly changes = new ChangeFilter();
  /** Register bytes each request read last time: an unchanged block is not decoded again. */
  private readonly lastBlock = new Map<ReadRequest, Buffer>();
  private stopped = false;
  /** Requests sent, for tests and benchmarks that compare them with the plan. */
  requestCount = 0;

  constructor(private readonly devices: ModbusDeviceConfig[]) {
    const first = devices[0];
    if (!first) throw new Error('a Modbus connector needs at least one device');
    this.first = first;
    this.backoff = new Backoff(first.reconnect.initialMs, first.reconnect.maxMs);
    for (const device of devices) {
      const compiled = compileTags(device);
      for (const tag of compiled) this.tags.set(tag.id, tag);
      for (const [name, group] of Object.entries(device.pollGroups)) {
        const items = compiled.filter((tag) => tag.config.pollGroup === name).map((tag) => tag.item);
        if (items.length === 0) continue;
        this.groups.push({ device, name, intervalMs: group.intervalMs, requests: planReads(items, device), running: false });
      }
    }
  }

  /** Read requests per full scan of every poll group. */
  get plannedRequests(): number {
    return this.groups.reduce((sum, group) => sum + group.requests.length, 0);
  }

  async start(context: ConnectorContext): Promise<void> {
    this.context = context;
    await this.connect();
    for (const group of this.groups) {
      group.timer = setInterval(() => void this.scan(group), group.intervalMs);
    }
    for (const group of this.groups) void this.scan(group);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    for (const group of this.groups) clearInterval(group.timer);
    const client = this.client;
    this.client = undefined;
    if (client) await this.queue.run(() => closeClient(client));
  }

  async write(request: WriteRequest): Promise<{ value: SampleValue; timestamp: number }> {
    const tag = this.tags.get(request.tagId);
    if (!tag) throw new ConnectorError(ConnectorCodes.WRITE_INVALID, `no tag ${request.tagId}`);
    if (!tag.config.writable) throw new ConnectorError(ConnectorCodes.WRITE_INVALID, `tag ${request.tagId} is not writable`);
    const { config, device } = tag;
    let coil: boolean | undefined;
    let words: number[] = [];
    try {
      if (config.register === 'coil') {
        if (typeof request.value !== 'boolean') throw new ConnectorError(ConnectorCodes.WRITE_INVALID, 'a coil takes true or false');
        coil = request.value;
      } else {
        words = toWords(encodeRegisters(toRaw(request.value, config), config));
      }
    } catch (error) {
      throw classify(error);
    }
    await this.request(device, async (client) => {
      if (coil !== undefined) {
        const state = coil;
        if (config.writeMultiple) await call((done) => client.writeFC15(client.getID(), config.address, [state], done));
        else await call((done) => client.writeFC5(client.getID(), config.address, state, done));
      } else if (words.length === 1 && !config.writeMultiple) {
        const word = words[0] ?? 0;
        await call((done) => client.writeFC6(client.getID(), config.address, word, done));
      } else {
        await call((done) => client.writeFC16(client.getID(), config.address, words, done));
      }
    });
    const readBack = await this.request(device, (client) => this.read(client, { table: config.register, start: config.address, count: tag.item.count, items: [tag.item] }));
    const sample = sampleFrom(tag, readBack, config.address, Date.now());
    // The PLC may move the value back (a command coil it resets, a setpoint it clamps): read it fresh.
    this.lastBlock.clear();
    this.emit([sample]);
    return { value: sample.value, timestamp: sample.timestamp };
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.report('connecting');
    try {
      this.client = await openClient(this.first.transport, this.first.timeoutMs);
      this.timeoutsInRow = 0;
      this.backoff.reset();
      this.report('connected');
      this.context?.log('info', 'connected', { transport: describeTransport(this.first.transport) });
    } catch (error) {
      this.connectionLost(classify(error));
    }
  }

  private emit(samples: Sample[]): void {
    const changed = samples.filter((sample) => this.changes.changed(sample));
    if (changed.length > 0) this.context?.emit(changed);
  }

  private connectionLost(error: ConnectorError): void {
    const client = this.client;
    this.client = undefined;
    if (client) void closeClient(client);
    this.lastBlock.clear();
    const now = Date.now();
    this.emit([...this.tags.values()].map((tag) => badSample(tag, error.code, now)));
    this.report('error', error);
    if (this.stopped || this.reconnectTimer) return;
    const delay = this.backoff.next();
    this.context?.log('warn', 'connection lost, reconnecting', { error: error.message, delayMs: delay });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, delay);
  }

  private async scan(group: PollGroup): Promise<void> {
    const client = this.client;
    if (group.running || !client || this.stopped) return;
    group.running = true;
    const samples: Sample[] = [];
    try {
      for (const request of group.requests) {
        if (!this.client) break;
        try {
          const result = await this.request(group.device, (client) => this.read(client, request));
          const block = result.bytes ?? Buffer.from(result.bits?.map(Number) ?? []);
          const previous = this.lastBlock.get(request);
          if (previous?.equals(block)) continue;
          this.lastBlock.set(request, block);
          const now = Date.now();
          const width = result.bytes ? 2 : 1;
          for (const item of request.items) {
            // Only the tags whose own registers (or bits) changed are decoded again.
            const from = (item.address - request.start) * width;
            const to = from + item.count * width;
            if (previous && previous.compare(block, from, to, from, to) === 0) continue;
            const tag = this.tags.get(item.id);
            if (tag) samples.push(sampleFrom(tag, result, request.start, now));
          }
        } catch (error) {
          this.lastBlock.delete(request);
          const failure = classify(error);
          if (isConnectionLost(failure) || this.timeoutsInRow >= TIMEOUTS_BEFORE_RECONNECT) {
            // What this scan read before the loss must not follow the bad samples out.
            samples.length = 0;
            if (this.client === client) this.connectionLost(failure);
            return;
          }
          const now = Date.now();
          for (const item of request.items) {
            const tag = this.tags.get(item.id);
            if (tag) samples.push(badSample(tag, failure.code, now));
          }
        }
      }
    } finally {
      group.running = false;
      // Only the connection the scan started on may report good values.
      if (this.client === client) this.emit(samples);
    }
  }

  /** Runs one request in the queue, against the device's unit id, and keeps the timeout count. */
  private async request<T>(device: ModbusDeviceConfig, run: (client: ModbusClient) => Promise<T>): Promise<T> {
    return this.queue.run(async () => {
      const client = this.client;
      if (!client) throw new ConnectorError(ConnectorCodes.MODBUS_CONNECTION, 'not connected');
      client.setID(device.unitId);
      this.requestCount++;
      try {
        const result = await run(client);
        this.timeoutsInRow = 0;
        return result;
      } catch (error) {
        if (classify(error).code === ConnectorCodes.MODBUS_TIMEOUT) this.timeoutsInRow++;
        throw error;
      }
    });
  }

  private async read(client: ModbusClient, request: ReadRequest): Promise<ReadResult> {
    const { start, count } = request;
    const unit = client.getID();
    switch (request.table) {
      case 'coil':
        return { bits: (await call<ReadCoilResult>((done) => client.writeFC1(unit, start, count, done))).data };
      case 'discrete':
        return { bits: (await call<ReadCoilResult>((done) => client.writeFC2(unit, start, count, done))).data };
      case 'input':
        return { bytes: (await call<ReadRegisterResult>((done) => client.writeFC4(unit, start, count, done))).buffer };
      case 'holding':
        return { bytes: (await call<ReadRegisterResult>((done) => client.writeFC3(unit, start, count, done))).buffer };
    }
  }

  private report(state: 'connecting' | 'connected' | 'error', error?: ConnectorError): void {
    const timestamp = Date.now();
    for (const device of this.devices) {
      this.context?.status({ device: device.name, state, timestamp, ...(error ? { error: error.toWire() } : {}) });
    }
  }
}
