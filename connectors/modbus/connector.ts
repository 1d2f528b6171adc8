import { planReads, type ReadRequest } from './plan.ts';
import type { ReadCoilResult, ReadRegisterResult } from 'modbus-serial/ModbusRTU.js';
import type { ModbusDeviceConfig } from '../../schemas/modbus.ts';
import { Backoff } from '../backoff.ts';
import { ChangeFilter } from '../change-filter.ts';
import { ErrorCodes } from '../../shared/errors.ts';
import { ConnectorError } from '../errors.ts';
import { ReadStats } from '../read-stats.ts';
import type { Connector, ConnectorContext, DeviceState, Sample, SampleValue, WriteRequest } from '../sdk.ts';
import { encodeRegisters, toWords } from './codec.ts';
import { classify, isConnectionLost, isModbusAnswer } from './errors.ts';
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
 * One opened client and what was learned on it. A scan, a request and its timeouts belong to the
 * connection they started on: once it is replaced they count for nothing.
 */
interface Connection {
  client: ModbusClient;
  timeoutsInRow: number;
  /** A valid Modbus reply (data or an exception) came back: the port really speaks Modbus. */
  answered: boolean;
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
  private stats: ReadStats | undefined;
  private connection: Connection | undefined;
  private state: DeviceState | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private readonly changes = new ChangeFilter();
  /** Register bytes each request read last time on this connection: an unchanged block is not decoded again. */
  private readonly lastBlock = new Map<ReadRequest, Buffer>();
  private stopped = false;

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

  async start(context: ConnectorContext): Promise<void> {
    this.context = context;
    this.stats = new ReadStats((reports) => context.stats(reports));
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
    const connection = this.connection;
    this.connection = undefined;
    if (connection) await this.queue.run(() => closeClient(connection.client));
    this.stats?.stop();
  }

  async write(request: WriteRequest): Promise<{ value: SampleValue; timestamp: number }> {
    const tag = this.tags.get(request.tagId);
    if (!tag) throw new ConnectorError(ErrorCodes.WRITE_INVALID, `no tag ${request.tagId}`);
    if (!tag.config.writable) throw new ConnectorError(ErrorCodes.WRITE_INVALID, `tag ${request.tagId} is not writable`);
    const { config, device } = tag;
    let coil: boolean | undefined;
    let words: number[] = [];
    try {
      if (config.register === 'coil') {
        if (typeof request.value !== 'boolean') throw new ConnectorError(ErrorCodes.WRITE_INVALID, 'a coil takes true or false');
        coil = request.value;
      } else {
        words = toWords(encodeRegisters(toRaw(request.value, config), config));
      }
    } catch (error) {
      throw classify(error);
    }
    const connection = this.connection;
    if (!connection) throw new ConnectorError(ErrorCodes.MODBUS_CONNECTION, 'not connected');
    await this.request(connection, device, async (client) => {
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
    const readBack = await this.request(connection, device, (client) => this.read(client, { table: config.register, start: config.address, count: tag.item.count, items: [tag.item] }));
    const sample = sampleFrom(tag, readBack, config.address, Date.now());
    // The PLC may move the value back (a command coil it resets, a setpoint it clamps): read it fresh.
    this.lastBlock.clear();
    this.emit([sample]);
    return { value: sample.value, timestamp: sample.timestamp };
  }

  /**
   * Opens a fresh client. Only a Modbus answer on it counts as connected and resets the backoff: a port
   * that accepts connections but does not speak Modbus must not be retried at the initial rate for ever.
   * While retrying after an error the status stays `error`.
   */
  private async connect(): Promise<void> {
    if (this.stopped) return;
    if (this.state !== 'error') this.report('connecting');
    try {
      const client = await openClient(this.first.transport, this.first.timeoutMs);
      if (this.stopped) {
        await closeClient(client);
        return;
      }
      // What an earlier connection read says nothing about this one: its first scan publishes every tag.
      this.lastBlock.clear();
      this.connection = { client, timeoutsInRow: 0, answered: false };
    } catch (error) {
      const failure = classify(error);
      for (const device of this.devices) this.stats?.failed(device.name, failure.code);
      this.connectionLost(failure);
    }
  }

  private answered(connection: Connection): void {
    connection.timeoutsInRow = 0;
    if (connection.answered || this.connection !== connection) return;
    connection.answered = true;
    this.backoff.reset();
    this.report('connected');
    this.context?.log('info', 'connected', { transport: describeTransport(this.first.transport) });
  }

  private emit(samples: Sample[]): void {
    const changed = samples.filter((sample) => this.changes.changed(sample));
    if (changed.length > 0) this.context?.emit(changed);
  }

  private connectionLost(failure: ConnectorError, lost?: Connection): void {
    this.connection = undefined;
    if (lost) void closeClient(lost.client);
    this.lastBlock.clear();
    const error = lost && !lost.answered && failure.code === ErrorCodes.MODBUS_TIMEOUT ? this.noAnswer() : failure;
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

  private noAnswer(): ConnectorError {
    const { transport, timeoutMs } = this.first;
    return new ConnectorError(
      ErrorCodes.MODBUS_NO_ANSWER,
      `${describeTransport(transport)} opens, but no Modbus answer came back (${TIMEOUTS_BEFORE_RECONNECT} requests, ${timeoutMs} ms each): check that the device there speaks Modbus ${transport.type}, its unit id, and ${transport.type === 'rtu' ? 'the line settings' : 'the port number'}`,
    );
  }

  /**
   * Reads the group's plan on the connection open when the scan starts. Should that connection be
   * replaced meanwhile, the scan stops and leaves no trace: it neither emits nor touches the block cache.
   */
  private async scan(group: PollGroup): Promise<void> {
    const connection = this.connection;
    if (group.running || !connection || this.stopped) return;
    group.running = true;
    const samples: Sample[] = [];
    try {
      for (const request of group.requests) {
        let result: ReadResult;
        try {
          result = await this.request(connection, group.device, (client) => this.timedRead(client, request, group.device.name));
        } catch (error) {
          if (this.connection !== connection) return;
          this.lastBlock.delete(request);
          const failure = classify(error);
          this.stats?.failed(group.device.name, failure.code);
          if (isConnectionLost(failure) || connection.timeoutsInRow >= TIMEOUTS_BEFORE_RECONNECT) {
            // What this scan read before the loss must not follow the bad samples out.
            this.connectionLost(failure, connection);
            return;
          }
          // Until the port has answered once, its timeouts are the connection's, reported when it is given up.
          if (!connection.answered && failure.code === ErrorCodes.MODBUS_TIMEOUT) continue;
          const now = Date.now();
          for (const item of request.items) {
            const tag = this.tags.get(item.id);
            if (tag) samples.push(badSample(tag, failure.code, now));
          }
          continue;
        }
        if (this.connection !== connection) return;
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
      }
      this.emit(samples);
    } finally {
      group.running = false;
    }
  }

  /**
   * Runs one request in the queue, against the device's unit id, on the given connection only (a
   * request queued before a reconnect is refused, not sent on the new socket), and keeps its timeout count.
   */
  private request<T>(connection: Connection, device: ModbusDeviceConfig, run: (client: ModbusClient) => Promise<T>): Promise<T> {
    return this.queue.run(async () => {
      if (this.connection !== connection) throw new ConnectorError(ErrorCodes.MODBUS_CONNECTION, 'not connected');
      const { client } = connection;
      client.setID(device.unitId);
      try {
        const result = await run(client);
        this.answered(connection);
        return result;
      } catch (error) {
        const failure = classify(error);
        if (failure.code === ErrorCodes.MODBUS_TIMEOUT) connection.timeoutsInRow++;
        else if (isModbusAnswer(failure)) this.answered(connection);
        throw error;
      }
    });
  }

  /** A scan's read, its answer counted and timed for the metrics. */
  private async timedRead(client: ModbusClient, request: ReadRequest, device: string): Promise<ReadResult> {
    const started = performance.now();
    const result = await this.read(client, request);
    this.stats?.read(device, performance.now() - started);
    return result;
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

  private report(state: DeviceState, error?: ConnectorError): void {
    this.state = state;
    const timestamp = Date.now();
    for (const device of this.devices) {
      this.context?.status({ device: device.name, state, timestamp, ...(error ? { error: error.toWire() } : {}) });
    }
  }
}
