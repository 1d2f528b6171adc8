import { describe, expect, it } from 'vitest';
import { connectionView } from '../../connectors/connection-view.ts';
import { protocolOf } from '../../connectors/registry.ts';

const device = (tag: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ name: 'd', protocol: 'x', site: 's', transport: { host: 'plc-a' }, tags: [{ name: 't', address: 1, ...tag }], ...extra });

describe('connectionView: what a reload compares to decide whether a connection restarts', () => {
  it('ignores the publisher\'s settings (deadband, unit, qos, heartbeat, placement) for a Modbus device', () => {
    const keys = protocolOf('modbus').sourceTagKeys;
    const base = connectionView([device({})], keys);
    expect(connectionView([device({ deadband: { absolute: 5 }, unit: 'bar', qos: 0, heartbeatS: 10, area: 'a2' })], keys)).toBe(base);
    expect(connectionView([device({}, { site: 'other', heartbeatS: 30 })], keys)).toBe(base);
  });

  it('sees an address, a transport, or a tag added', () => {
    const base = connectionView([device({})]);
    expect(connectionView([device({ address: 2 })])).not.toBe(base);
    expect(connectionView([device({}, { transport: { host: 'plc-b' } })])).not.toBe(base);
    expect(connectionView([{ ...device({}), tags: [{ name: 't', address: 1 }, { name: 'u', address: 2 }] }])).not.toBe(base);
  });

  it('sees a deadband or unit change of an OPC UA tag, which the server and the connector use', () => {
    const keys = protocolOf('opcua').sourceTagKeys;
    const base = connectionView([device({})], keys);
    expect(connectionView([device({ deadband: { absolute: 5 } })], keys)).not.toBe(base);
    expect(connectionView([device({ unit: 'bar' })], keys)).not.toBe(base);
    expect(connectionView([device({ qos: 0 })], keys)).toBe(base);
  });
});
