import mqtt, { type MqttClient } from 'mqtt';
import type { ConsoleInfo, Credentials, Session } from './api.js';

export type Quality = 'good' | 'uncertain' | 'bad';

export interface TagValue {
  value: unknown;
  quality: Quality;
  status: string | undefined;
  unit: string | undefined;
  /** The source timestamp of the value. */
  timestamp: number;
  /** When the page saw the value change (its age ticks from there). */
  changedAt: number;
}

export interface DeviceStatus {
  state: string;
  timestamp: number;
  error?: { code: string; message: string };
}

export interface SetResult {
  ok: boolean;
  value?: unknown;
  error?: { code: string; message: string };
}

const HISTORY = 300;
const SET_TIMEOUT_MS = 15_000;

/**
 * The live namespace over MQTT-over-WebSocket: every tag value, device status and the gateway's status,
 * kept in maps that the page reads. Messages only update the maps; listeners are told once per animation
 * frame, however many messages came, so that 10,000 tags changing cost one render a frame.
 */
export class LiveNamespace {
  readonly values = new Map<string, TagValue>();
  readonly devices = new Map<string, DeviceStatus>();
  gateway: 'online' | 'offline' | 'unknown' = 'unknown';
  connected = false;
  private readonly history = new Map<string, Array<[number, number]>>();
  private readonly listeners = new Set<() => void>();
  private readonly pendingSets = new Map<string, (result: SetResult) => void>();
  private frame: number | undefined;
  private readonly client: MqttClient;
  private readonly tagTopics: ReadonlySet<string>;
  private nextId = 1;

  constructor(info: ConsoleInfo, session: Session, credentials: Credentials | undefined) {
    const ws = info.ws;
    if (ws === null) throw new Error('the gateway has no WebSocket listener (broker.listeners with protocol ws or wss)');
    this.tagTopics = new Set(session.tags.map((tag) => tag.topic));
    const now = Date.now();
    for (const [topic, snapshot] of Object.entries(session.values)) this.values.set(topic, { ...snapshot, status: snapshot.status, unit: snapshot.unit, changedAt: now });
    const url = `${ws.secure ? 'wss' : 'ws'}://${location.hostname}:${ws.port}${ws.path}`;
    this.client = mqtt.connect(url, {
      clientId: `console-${Math.random().toString(16).slice(2, 10)}`,
      username: credentials?.username,
      password: credentials?.password,
      reconnectPeriod: 2000,
      protocolVersion: 4,
    });
    this.client.on('connect', () => {
      this.connected = true;
      this.client.subscribe([...session.scopes.map((scope) => `${scope}/#`), `_gateway/${info.id}/#`], { qos: 0 });
      this.changed();
    });
    this.client.on('close', () => {
      this.connected = false;
      this.changed();
    });
    this.client.on('message', (topic, payload) => this.receive(info.id, topic, payload.toString()));
  }

  /** Calls `listener` at most once per animation frame after something changed; returns the unsubscribe. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The recent numeric values of a tag, as [seconds, value]. */
  trend(topic: string): ReadonlyArray<[number, number]> {
    return this.history.get(topic) ?? [];
  }

  /** Sends a setpoint to `<topic>/set` as this user; resolves with the gateway's `/set/result`. */
  write(topic: string, value: number | boolean | string): Promise<SetResult> {
    const id = `console-${Date.now()}-${this.nextId++}`;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pendingSets.delete(id);
        resolve({ ok: false, error: { code: 'TIMEOUT', message: `no answer on ${topic}/set/result within ${SET_TIMEOUT_MS / 1000} s` } });
      }, SET_TIMEOUT_MS);
      this.pendingSets.set(id, (result) => {
        clearTimeout(timer);
        resolve(result);
      });
      this.client.publish(`${topic}/set`, JSON.stringify({ value, id }), { qos: 1 });
    });
  }

  close(): void {
    this.client.end(true);
  }

  private receive(gatewayId: string, topic: string, text: string): void {
    if (this.tagTopics.has(topic)) this.tagValue(topic, text);
    else if (topic.endsWith('/set/result')) this.setResult(text);
    else if (topic === `_gateway/${gatewayId}/status`) this.gateway = text === 'online' ? 'online' : 'offline';
    else if (topic.startsWith(`_gateway/${gatewayId}/devices/`) && topic.endsWith('/status')) {
      const name = topic.slice(`_gateway/${gatewayId}/devices/`.length, -'/status'.length);
      if (text === '') this.devices.delete(name);
      else this.devices.set(name, JSON.parse(text) as DeviceStatus);
    } else return;
    this.changed();
  }

  private tagValue(topic: string, text: string): void {
    if (text === '') {
      this.values.delete(topic);
      return;
    }
    const payload = JSON.parse(text) as { value: unknown; quality: Quality; status?: string; unit?: string; timestamp: number };
    const previous = this.values.get(topic);
    const changed = previous === undefined || previous.value !== payload.value || previous.quality !== payload.quality;
    this.values.set(topic, {
      value: payload.value,
      quality: payload.quality,
      status: payload.status,
      unit: payload.unit,
      timestamp: payload.timestamp,
      changedAt: changed ? Date.now() : previous.changedAt,
    });
    if (typeof payload.value === 'number' && payload.quality !== 'bad') {
      let points = this.history.get(topic);
      if (points === undefined) this.history.set(topic, (points = []));
      points.push([payload.timestamp / 1000, payload.value]);
      if (points.length > HISTORY) points.splice(0, points.length - HISTORY);
    }
  }

  private setResult(text: string): void {
    const result = JSON.parse(text) as SetResult & { id?: string };
    const pending = result.id === undefined ? undefined : this.pendingSets.get(result.id);
    if (pending === undefined || result.id === undefined) return;
    this.pendingSets.delete(result.id);
    pending(result);
  }

  private changed(): void {
    if (this.frame !== undefined) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = undefined;
      for (const listener of this.listeners) listener();
    });
  }
}
