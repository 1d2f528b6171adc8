import type { ModbusDeviceConfig, ModbusTagConfig } from '../../schemas/modbus.ts';
import { registerCount } from '../../schemas/modbus-layout.ts';
import { ErrorCodes } from '../../shared/errors.ts';
import { tagId, type Sample } from '../sdk.ts';
import { decodeRegisters } from './codec.ts';
import type { PlanItem } from './plan.ts';
import { toEngineering } from './scaling.ts';

/** What one read request returned: bits for coil/discrete tables, raw bytes for registers. */
export interface ReadResult {
  bits?: readonly boolean[];
  bytes?: Buffer;
}

export interface CompiledTag {
  id: string;
  device: ModbusDeviceConfig;
  config: ModbusTagConfig;
  item: PlanItem;
}

export function compileTags(device: ModbusDeviceConfig): CompiledTag[] {
  return device.tags.map((config) => {
    const id = tagId(device.name, config.name);
    return {
      id,
      device,
      config,
      item: { id, table: config.register, address: config.address, count: registerCount(config.dataType, config.length) },
    };
  });
}

/** Turns the part of a read result that holds `tag` into a sample. */
export function sampleFrom(tag: CompiledTag, result: ReadResult, start: number, timestamp: number): Sample {
  const offset = tag.item.address - start;
  let value;
  if (result.bits) {
    value = result.bits[offset] ?? null;
  } else {
    const bytes = (result.bytes ?? Buffer.alloc(0)).subarray(offset * 2, (offset + tag.item.count) * 2);
    value = toEngineering(decodeRegisters(bytes, tag.config), tag.config);
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return { tagId: tag.id, value: null, quality: 'bad', status: ErrorCodes.VALUE_NOT_FINITE, timestamp };
  }
  return { tagId: tag.id, value, quality: 'good', timestamp };
}

export function badSample(tag: CompiledTag, status: string, timestamp: number): Sample {
  return { tagId: tag.id, value: null, quality: 'bad', status, timestamp };
}
