import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { call } from '../../connectors/modbus/transport.ts';

describe('dependencies as the gateway uses them', () => {
  it('shares one mqtt-packet with aedes, so that turning its number cache off reaches the broker', () => {
    const ours = createRequire(import.meta.url);
    const aedes = createRequire(fileURLToPath(new URL('../../node_modules/aedes/package.json', import.meta.url)));
    expect(aedes.resolve('mqtt-packet')).toBe(ours.resolve('mqtt-packet'));
  });

  it('settles a modbus-serial request once, with its first answer (a late reply after a timeout is ignored)', async () => {
    const timeout = new Error('Timed out');
    const result = call<number>((callback) => {
      callback(timeout as NodeJS.ErrnoException, 0);
      callback(null as unknown as NodeJS.ErrnoException, 42);
    });
    await expect(result).rejects.toBe(timeout);
  });
});
