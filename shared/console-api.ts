/** The console's HTTP API, shared by the gateway (src/console/) and the page (console/src/): types only. */

export interface ConsoleInfo {
  id: string;
  version: string;
  /** The MQTT-over-WebSocket listener the page connects to; null when the broker has none. */
  ws: { port: number; path: string; secure: boolean } | null;
  /** Whether a user must log in: the WebSocket listener refuses anonymous clients. */
  login: boolean;
  /** Whether /metrics is served (device read rates). */
  metrics: boolean;
}

export interface CatalogTag {
  id: string;
  topic: string;
  name: string;
  device: string;
  protocol: string;
  /** Where the device holds it: `holding 40`, `ns=3;s=Speed`. */
  address: string;
  dataType: string;
  unit?: string;
  scale?: number;
  offset?: number;
  deadband?: string;
  min?: number;
  max?: number;
  writable: boolean;
  /** What a setpoint must be (the protocol's rule, as the gateway checks it): a number, true/false, text, or any JSON scalar. */
  takes: 'number' | 'boolean' | 'string' | 'scalar';
  /** Whether this user may write it (writable, and allowed by the user's roles). */
  mayWrite: boolean;
}

export interface CatalogDevice {
  name: string;
  protocol: string;
  endpoint: string;
}

/** A tag's latest reading when the session opened (a 64-bit integer as a string of digits). */
export interface SnapshotValue {
  value: unknown;
  quality: 'good' | 'uncertain' | 'bad';
  status?: string;
  unit?: string;
  timestamp: number;
}

export interface Session {
  username: string | null;
  roles: string[];
  tags: CatalogTag[];
  devices: CatalogDevice[];
  /** The first topic level of every tag: what the page subscribes to. */
  scopes: string[];
  /** The latest reading of every tag read so far, by topic: the tree is full before the retained values arrive. */
  values: Record<string, SnapshotValue>;
}

