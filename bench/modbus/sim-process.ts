/**
 * Child process of the Modbus benchmark: serves N simulated Modbus TCP devices on loopback, counts
 * the read requests each receives and, when told to, changes random holding registers every tick,
 * reporting each change (with its Date.now()) to the parent over IPC.
 *
 * Started as `node --import tsx bench/modbus/sim-process.ts` with an IPC channel; not a CLI.
 */
import { RegisterBank } from '../../connectors/simulator/registers.ts';
import { serveModbusTcp, type RunningModbusServer } from '../../connectors/simulator/modbus-server.ts';
import { freePort } from '../../test/helpers/free-port.ts';
import type { ChangeRecord, DeviceCounts, ParentToSim, SimSetup, SimToParent } from './protocol.ts';

/** A register bank whose ServerTCP vector counts the requests it serves. */
class CountingBank extends RegisterBank {
  readonly counts: DeviceCounts = { blockReads: 0, singleReads: 0, registersRead: 0, registerWrites: 0 };

  // ServerTCP picks the callback or the value style by each function's arity, so the wrappers keep
  // the arity of the originals (1 and 2 arguments: value style).
  override vector(): ReturnType<RegisterBank['vector']> {
    const base = super.vector();
    return {
      ...base,
      getHoldingRegister: (address: number) => {
        this.counts.singleReads++;
        return base.getHoldingRegister(address);
      },
      getMultipleHoldingRegisters: (address: number, length: number) => {
        this.counts.blockReads++;
        this.counts.registersRead += length;
        return base.getMultipleHoldingRegisters(address, length);
      },
      setRegister: (address: number, value: number) => {
        this.counts.registerWrites++;
        base.setRegister(address, value);
      },
    };
  }
}

function send(message: SimToParent): void {
  process.send?.(message);
}

function randomInt(n: number): number {
  return Math.floor(Math.random() * n);
}

const banks: CountingBank[] = [];
const servers: RunningModbusServer[] = [];
let setup: SimSetup | undefined;
let changeTimer: NodeJS.Timeout | undefined;
/** Fractional changes carried over between ticks, per device. */
const carry: number[] = [];

/** ServerTCP cannot bind port 0 (it turns 0 into 502): take a free port, retry if it was raced. */
async function serveOnFreePort(bank: RegisterBank): Promise<RunningModbusServer> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    try {
      return await serveModbusTcp(bank, '127.0.0.1', port);
    } catch (error) {
      lastError = error;
    }
  }
  throw new Error(`could not bind a Modbus TCP simulator: ${lastError instanceof Error ? lastError.message : String(lastError)}`);
}

async function start(s: SimSetup): Promise<void> {
  setup = s;
  for (let d = 0; d < s.devices; d++) {
    const bank = new CountingBank();
    for (let a = 0; a < s.registers; a++) bank.holding[a] = randomInt(65536);
    banks.push(bank);
    carry.push(0);
    servers.push(await serveOnFreePort(bank));
  }
  send({ type: 'ready', ports: servers.map((server) => server.port) });
}

function tick(s: SimSetup): void {
  const changes: ChangeRecord[] = [];
  const perTick = (s.changesPerDeviceS * s.tickMs) / 1000;
  banks.forEach((bank, d) => {
    const due = (carry[d] ?? 0) + perTick;
    const n = Math.floor(due);
    carry[d] = due - n;
    for (let i = 0; i < n; i++) {
      let address: number;
      if (s.writableAddress < s.registers) {
        address = randomInt(s.registers - 1);
        if (address >= s.writableAddress) address++; // every address but the writable one
      } else {
        address = randomInt(s.registers);
      }
      const old = bank.holding[address] ?? 0;
      const value = (old + 1 + randomInt(65535)) % 65536; // never the current value
      bank.holding[address] = value;
      changes.push([d, address, value, Date.now()]);
    }
  });
  if (changes.length > 0) send({ type: 'changes', changes });
}

function setChanges(enabled: boolean): void {
  clearInterval(changeTimer);
  changeTimer = undefined;
  const s = setup;
  if (enabled && s) changeTimer = setInterval(() => tick(s), s.tickMs);
}

async function stop(): Promise<void> {
  setChanges(false);
  await Promise.all(servers.map((server) => server.close()));
}

process.on('message', (raw: unknown) => {
  const message = raw as ParentToSim;
  switch (message.type) {
    case 'setup':
      start(message.setup).catch((error: unknown) => {
        send({ type: 'error', message: error instanceof Error ? error.message : String(error) });
        process.exit(1);
      });
      return;
    case 'changes':
      setChanges(message.enabled);
      return;
    case 'counts':
      send({ type: 'counts', requestId: message.requestId, at: Date.now(), devices: banks.map((bank) => ({ ...bank.counts })) });
      return;
    case 'stop':
      void stop().finally(() => process.exit(0));
      return;
  }
});

// The benchmark going away (or crashing) takes the simulators with it.
process.once('disconnect', () => process.exit(0));
