// A Modbus RTU slave on a serial device, in its own process: the serialport addon must not be loaded
// by two threads of one process (the gateway's connector worker already loads it in the test process).
import { ServerSerial } from 'modbus-serial';
import { RegisterBank } from '../../connectors/simulator/registers.ts';

export type RtuServerRequest = { type: 'set-float-cdab'; address: number; value: number } | { type: 'set'; address: number; value: number } | { type: 'get'; address: number };

const [path, baud] = process.argv.slice(2);
const bank = new RegisterBank();
const server = new ServerSerial(bank.vector(), {
  path: path ?? '',
  baudRate: Number(baud),
  openCallback: (error) => process.send?.(error ? { type: 'error', message: error.message } : { type: 'ready' }),
});
process.on('message', (request: RtuServerRequest) => {
  if (request.type === 'set') bank.holding[request.address] = request.value;
  if (request.type === 'set-float-cdab') {
    bank.setFloat32('holding', request.address, request.value);
    [bank.holding[request.address], bank.holding[request.address + 1]] = [bank.holding[request.address + 1] ?? 0, bank.holding[request.address] ?? 0];
  }
  process.send?.({ type: 'value', value: bank.holding[request.address] });
});
process.on('disconnect', () => server.close(() => process.exit(0)));
