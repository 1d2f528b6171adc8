/**
 * IPC messages between the Modbus benchmark (bench/modbus/main.ts) and its simulator child process
 * (bench/modbus/sim-process.ts). Plain JSON: the default IPC serialization.
 */

export interface SimSetup {
  devices: number;
  /** Holding registers 0 … registers-1 served and mapped per device. */
  registers: number;
  /** The register the benchmark writes through /set; random changes leave it alone. */
  writableAddress: number;
  /** Random register changes per device per second, made in ticks of `tickMs`. */
  changesPerDeviceS: number;
  tickMs: number;
}

/** One change: device index, register address, new value, Date.now() when it was made. */
export type ChangeRecord = [device: number, address: number, value: number, time: number];

/** Requests one simulator (device) has served since it started. */
export interface DeviceCounts {
  /** FC 3 reads of more than one register: calls of getMultipleHoldingRegisters. */
  blockReads: number;
  /** FC 3 reads of one register: calls of getHoldingRegister (the write read-backs). */
  singleReads: number;
  /** Registers returned by block reads. */
  registersRead: number;
  /** FC 6 / FC 16 register writes: calls of setRegister. */
  registerWrites: number;
}

export type ParentToSim =
  | { type: 'setup'; setup: SimSetup }
  | { type: 'changes'; enabled: boolean }
  | { type: 'counts'; requestId: number }
  | { type: 'stop' };

export type SimToParent =
  | { type: 'ready'; ports: number[] }
  | { type: 'changes'; changes: ChangeRecord[] }
  | { type: 'counts'; requestId: number; at: number; devices: DeviceCounts[] }
  | { type: 'error'; message: string };
