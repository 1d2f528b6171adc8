import { DataType } from 'node-opcua';
import { describe, expect, it } from 'vitest';
import { Inbox } from '../helpers/mqtt.ts';
import { useOpcuaGateway } from '../helpers/opcua-gateway.ts';
import type { TestVariable } from '../helpers/opcua-server.ts';
import { until } from '../helpers/until.ts';

const TAGS = 2500;
/** The first tags are mapped by browse path, which the connector translates to node ids. */
const BROWSED = 1100;
/** The server's limit per call, well above the connector's own cap of 1,000 nodes per setup call. */
const SERVER_LIMIT = 5000;
const OPCUA_WAIT_MS = 60_000;

// Even variables are writable (the connector reads their DataType); odd ones are AnalogItems with a unit
// (the connector finds their EngineeringUnits and reads them).
const VARIABLES: TestVariable[] = Array.from({ length: TAGS }, (_, i) => ({
  name: `V${i}`,
  dataType: DataType.Double,
  value: i,
  ...(i % 2 === 0 ? { writable: true } : { unit: 'degree_celsius' as const }),
}));

function mapping(endpoint: string): string {
  const tags = VARIABLES.map((v, i) => {
    const nodeId = i < BROWSED ? `/Objects/1:Plant/1:${v.name}` : `ns=1;s=Plant.${v.name}`;
    return `      - { name: v${i}, nodeId: "${nodeId}"${v.writable ? ', writable: true' : ''} }`;
  });
  return `devices:
  - name: bulk-plc
    protocol: opcua
    endpoint: ${endpoint}
    publishingIntervalMs: 50
    samplingIntervalMs: 100
    site: plant
    area: bulk
    asset: silo
    tags:
${tags.join('\n')}
`;
}

const opc = useOpcuaGateway(
  (dir) => ({ pkiDir: dir.path, variables: VARIABLES, maxItemsPerCall: SERVER_LIMIT }),
  (server) => ({ mappings: { 'bulk.yaml': mapping(server.endpoint) } }),
);

describe('OPC UA connector setup on a server that allows large calls', () => {
  it('reads, translates and monitors at most 1,000 nodes per call, and every tag arrives with its unit', async () => {
    const sub = await opc.pool.connect(opc.gw.url());
    const inbox = new Inbox(sub);
    await sub.subscribeAsync('plant/bulk/silo/+', { qos: 0 });
    const latest = new Map<string, { value: unknown; quality: string; unit?: string }>();
    await until(() => {
      for (const m of inbox.messages.splice(0)) latest.set(m.topic.slice('plant/bulk/silo/'.length), JSON.parse(m.payload) as { value: unknown; quality: string });
      return latest.size === TAGS;
    }, OPCUA_WAIT_MS);

    // Browse paths first (1,100), then the EngineeringUnits of all 2,500 tags, none above 1,000.
    expect(opc.server.callSizes('TranslateBrowsePathsToNodeIds')).toEqual([1000, 100, 1000, 1000, 500]);
    // The operation limits (3 nodes), the 1,250 writable tags' DataType, then the 1,250 units found.
    expect(opc.server.callSizes('Read')).toEqual([3, 1000, 250, 1000, 250]);
    expect(opc.server.callSizes('CreateMonitoredItems')).toEqual([1000, 1000, 500]);

    expect(latest.get('v0')).toMatchObject({ value: 0, quality: 'good' });
    expect(latest.get('v0')?.unit).toBeUndefined();
    expect(latest.get('v1099')).toMatchObject({ value: 1099, quality: 'good', unit: '°C' });
    expect(latest.get('v2499')).toMatchObject({ value: 2499, quality: 'good', unit: '°C' });
    expect([...latest.values()].filter((p) => p.quality === 'good' && p.unit === '°C')).toHaveLength(TAGS / 2);
  }, OPCUA_WAIT_MS + 10_000);
});
