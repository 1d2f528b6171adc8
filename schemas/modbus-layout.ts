/** Register layout of Modbus tags: plain data with no zod, so that connector threads can use it. */
export const MODBUS_DATA_TYPES = ['bool', 'bit', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'float32', 'float64', 'string'] as const;
export type ModbusDataType = (typeof MODBUS_DATA_TYPES)[number];
export const BYTE_ORDERS = ['ABCD', 'BADC', 'CDAB', 'DCBA'] as const;
export type ByteOrder = (typeof BYTE_ORDERS)[number];
export type RegisterTable = 'coil' | 'discrete' | 'input' | 'holding';

/** Protocol limits of one read request [Modbus application protocol 6.1–6.4]. */
export const MAX_REGISTERS_PER_READ = 125;
export const MAX_BITS_PER_READ = 2000;

/** How many 16-bit registers (or bits, on coil/discrete tables) a tag occupies. */
export function registerCount(dataType: ModbusDataType, length = 0): number {
  switch (dataType) {
    case 'bool':
    case 'bit':
    case 'int16':
    case 'uint16':
      return 1;
    case 'int32':
    case 'uint32':
    case 'float32':
      return 2;
    case 'int64':
    case 'uint64':
    case 'float64':
      return 4;
    case 'string':
      return Math.ceil(length / 2);
  }
}
