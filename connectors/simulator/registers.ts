/** A Modbus data model in memory: four tables, every address readable (unset ones read 0). */
export class RegisterBank {
  readonly holding = new Uint16Array(65536);
  readonly input = new Uint16Array(65536);
  readonly coils = new Uint8Array(65536);
  readonly discrete = new Uint8Array(65536);
  /** Called after a client wrote a holding register or a coil. */
  onWrite: (table: 'holding' | 'coil', address: number) => void = () => undefined;

  setFloat32(table: 'holding' | 'input', address: number, value: number): void {
    const b = Buffer.alloc(4);
    b.writeFloatBE(value, 0);
    this[table][address] = b.readUInt16BE(0);
    this[table][address + 1] = b.readUInt16BE(2);
  }

  getFloat32(table: 'holding' | 'input', address: number): number {
    const b = Buffer.alloc(4);
    b.writeUInt16BE(this[table][address] ?? 0, 0);
    b.writeUInt16BE(this[table][address + 1] ?? 0, 2);
    return b.readFloatBE(0);
  }

  setString(table: 'holding' | 'input', address: number, text: string, bytes: number): void {
    const b = Buffer.alloc(Math.ceil(bytes / 2) * 2);
    b.write(text, 'latin1');
    for (let i = 0; i < b.length / 2; i++) this[table][address + i] = b.readUInt16BE(i * 2);
  }

  /** The vector modbus-serial's ServerTCP calls. */
  vector() {
    return {
      getHoldingRegister: (address: number) => this.holding[address] ?? 0,
      getMultipleHoldingRegisters: (address: number, length: number) => Array.from(this.holding.subarray(address, address + length)),
      getInputRegister: (address: number) => this.input[address] ?? 0,
      getMultipleInputRegisters: (address: number, length: number) => Array.from(this.input.subarray(address, address + length)),
      getCoil: (address: number) => this.coils[address] === 1,
      getDiscreteInput: (address: number) => this.discrete[address] === 1,
      setRegister: (address: number, value: number) => {
        this.holding[address] = value;
        this.onWrite('holding', address);
      },
      setCoil: (address: number, value: boolean) => {
        this.coils[address] = value ? 1 : 0;
        this.onWrite('coil', address);
      },
    };
  }
}
