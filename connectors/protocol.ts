/**
 * What the gateway needs to know about a protocol besides its connector. Each connectors/<protocol>/
 * exports one descriptor from protocol.ts, and connectors/registry.ts lists them. Descriptors are loaded
 * in the main thread and in every worker, so a descriptor imports no protocol library and no zod: it
 * loads its library when it is used, and its mapping schema stays in schemas/<protocol>.ts.
 */
import type { Connector, ConnectorContext } from './sdk.ts';

/** What a descriptor relies on in a device config, whatever its protocol. */
interface DeviceShape {
  name: string;
  protocol: string;
  tags: ReadonlyArray<{ name: string }>;
}

/** A worker of its own: devices with the same key (across every protocol) share it. */
export interface Placement {
  key: string;
  /** `process`: a child process, for libraries that cannot run in a worker thread. */
  isolation: 'thread' | 'process';
}

/** What a `/set` value must be for a tag; the gateway checks it, and min/max, before the connector gets it. */
export type SetValueRule =
  /** true or false; 1 and 0 are taken for them. */
  | { takes: 'boolean' }
  | { takes: 'string' }
  /**
   * A JSON number. `integer`: the name of the integer type when only whole numbers fit; `digits`: a
   * string of digits is taken too, as a bigint (64-bit integers past 2^53).
   */
  | { takes: 'number'; integer?: string; digits?: boolean }
  /** Any JSON scalar: the device decides the type (an OPC UA node's DataType). */
  | { takes: 'scalar' };

/** A protocol's address-space browser, for `uns-gateway browse`. */
export interface Browser {
  /** Why `root` is no place to start (`is not …`), or undefined when it is one. */
  rootProblem(root: string): string | undefined;
  /** The address space below `root`, as a tree or (`yaml`) a mapping file; rejects with a ConnectorError. */
  browse(endpoint: string, request: { root: string; depth: number; yaml: boolean }): Promise<string>;
}

export interface Discovery {
  /** How this protocol's endpoints start, as in `opc.tcp://`. */
  scheme: string;
  /** Where browsing starts without `--root`. */
  defaultRoot: string;
  /** Loads the browser and the protocol's library; the library logs to `log`. */
  load(log: ConnectorContext['log']): Promise<Browser>;
}

export interface CertificateLine {
  thumbprint: string;
  name: string;
}

/** The server certificates one PKI folder trusts, for `uns-gateway pki`. */
export interface PkiTools {
  listPki(pkiDir: string): { trusted: readonly CertificateLine[]; rejected: readonly CertificateLine[] };
  /** Trusts a certificate file, or a rejected certificate by thumbprint; the thumbprint trusted, or undefined when nothing matched. */
  trustCertificate(pkiDir: string, target: string): Promise<string | undefined>;
}

export interface Pki<Device extends DeviceShape> {
  /** The device's PKI folder as the mapping gives it, relative to the data directory. */
  dir(device: Device): string;
  load(): Promise<PkiTools>;
}

/**
 * Methods take the protocol's own devices: the registry looks a descriptor up by the `protocol` of the
 * device it is handed, so a descriptor never sees another protocol's device.
 */
export interface ProtocolDescriptor<Device extends DeviceShape> {
  /** The `protocol:` of its devices in a mapping file. */
  readonly name: Device['protocol'];
  /** Its name in messages, as in `OPC UA`. */
  readonly label: string;
  /** In the worker: one connector for the devices that share it. Loads the protocol's library. */
  createConnector(devices: readonly Device[], log: ConnectorContext['log']): Promise<Connector>;
  /**
   * Devices with the same key share one connection (Modbus units behind one TCP gateway or on one serial
   * line): a reload that changes one of them restarts them together. Undefined: each device has its own.
   */
  connection?(device: Device): string;
  /**
   * Tag settings its connector reads besides the address (a deadband the server applies, a unit it looks
   * up): changing one restarts the device's connection at a reload. Other publishing settings never do.
   */
  readonly sourceTagKeys?: readonly string[];
  /** A worker apart for a device that cannot share the protocol's one worker thread; undefined: it shares it. */
  placement?(device: Device): Placement | undefined;
  /** Semi-space of its worker's young generation, MB (V8 would grow it to 16). */
  readonly semiSpaceMb: number;
  /** The device with its file paths, relative to the data directory in a mapping, made absolute by `resolve`. */
  withDataPaths?(device: Device, resolve: (path: string) => string): Device;
  setValue(tag: Device['tags'][number]): SetValueRule;
  readonly browse?: Discovery;
  readonly pki?: Pki<Device>;
}
