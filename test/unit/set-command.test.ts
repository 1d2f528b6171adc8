import { describe, expect, it } from 'vitest';
import { modbusTagSchema } from '../../schemas/modbus.ts';
import { opcuaTagSchema } from '../../schemas/opcua.ts';
import { checkSetValue, parseSetPayload } from '../../src/uns/set-command.ts';

const modbus = (extra: Record<string, unknown>) =>
  ({ protocol: 'modbus', config: modbusTagSchema.parse({ name: 't', register: 'holding', address: 0, dataType: 'uint16', writable: true, ...extra }) }) as const;
const opcua = (extra: Record<string, unknown> = {}) => ({ protocol: 'opcua', config: opcuaTagSchema.parse({ name: 'u', nodeId: 'ns=1;s=X', writable: true, ...extra }) }) as const;
const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return `${(error as { code: string }).code}: ${(error as Error).message}`;
  }
  return 'accepted';
};

describe('/set payloads', () => {
  it('reads {"value","id"} and bare JSON values', () => {
    expect(parseSetPayload(Buffer.from('{"value": 5, "id": "a"}'))).toEqual({ value: 5, id: 'a' });
    expect(parseSetPayload(Buffer.from('{"value": false}'))).toEqual({ value: false });
    expect(parseSetPayload(Buffer.from('12.5'))).toEqual({ value: 12.5 });
    expect(parseSetPayload(Buffer.from('"text"'))).toEqual({ value: 'text' });
    expect(refusal(() => parseSetPayload(Buffer.from('{"value": 1, "id": 7}')))).toBe('UNS_ERR_SET_PAYLOAD: id must be a string');
    expect(refusal(() => parseSetPayload(Buffer.from('{"id": "x"}')))).toBe('UNS_ERR_SET_PAYLOAD: expected {"value": …, "id": "…"}, value missing');
  });
});

describe('setpoint checks', () => {
  it('checks Modbus values against the mapped type and min/max', () => {
    expect(checkSetValue(modbus({ min: 0, max: 100 }), 42)).toBe(42);
    expect(refusal(() => checkSetValue(modbus({ min: 0, max: 100 }), 101))).toBe('UNS_ERR_SET_RANGE: 101 is outside 0 … 100 for tag t');
    expect(refusal(() => checkSetValue(modbus({}), 1.5))).toBe('UNS_ERR_SET_TYPE: tag t is an integer (uint16), got 1.5');
    expect(checkSetValue(modbus({ scale: 0.1 }), 1.5)).toBe(1.5);
    expect(checkSetValue(modbus({ register: 'coil', dataType: 'bool' }), 1)).toBe(true);
    expect(refusal(() => checkSetValue(modbus({ register: 'coil', dataType: 'bool' }), 'on'))).toBe('UNS_ERR_SET_TYPE: tag t takes true or false, got "on"');
    expect(checkSetValue(modbus({ dataType: 'uint64' }), '18446744073709551615')).toBe(18446744073709551615n);
    expect(refusal(() => checkSetValue(modbus({ dataType: 'string', length: 4 }), 5))).toBe('UNS_ERR_SET_TYPE: tag t takes a string, got 5');
    expect(checkSetValue(modbus({ dataType: 'float32' }), 1.5)).toBe(1.5);
    expect(checkSetValue(modbus({ dataType: 'int64', scale: 0.5 }), '-12')).toBe(-12n);
    expect(refusal(() => checkSetValue(modbus({ dataType: 'int32' }), '12'))).toBe('UNS_ERR_SET_TYPE: tag t takes a number, got "12"');
  });

  it('lets OPC UA values of any JSON kind through (the node DataType decides), with min/max on numbers', () => {
    expect(checkSetValue(opcua(), true)).toBe(true);
    expect(checkSetValue(opcua(), 'auto')).toBe('auto');
    expect(checkSetValue(opcua({ min: 0, max: 10 }), 7)).toBe(7);
    expect(refusal(() => checkSetValue(opcua({ min: 0, max: 10 }), 11))).toBe('UNS_ERR_SET_RANGE: 11 is outside 0 … 10 for tag u');
    expect(refusal(() => checkSetValue(opcua(), [1, 2]))).toBe('UNS_ERR_SET_TYPE: tag u takes a number, a boolean or a string, got [1,2]');
  });
});
