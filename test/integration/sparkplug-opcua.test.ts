import { DataType } from 'node-opcua';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePayload } from '../../src/sparkplug/codec.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { ClientPool } from '../helpers/mqtt.ts';
import { startOpcuaServer, type OpcuaTestServer } from '../helpers/opcua-server.ts';
import { decodePayload, type DecodedPayload } from '../helpers/sparkplug-decoder.ts';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.ts';
import { until } from '../helpers/until.ts';

const mapping = (endpoint: string) => `devices:
  - name: oven
    protocol: opcua
    endpoint: ${endpoint}
    publishingIntervalMs: 50
    samplingIntervalMs: 20
    site: plant
    area: bake
    asset: oven
    tags:
      - { name: temperature, nodeId: "ns=1;s=Plant.Temperature" }
      - { name: running, nodeId: "ns=1;s=Plant.Running" }
      - { name: recipe, nodeId: "ns=1;s=Plant.Recipe" }
      - { name: setpoint, nodeId: "ns=1;s=Plant.Setpoint", writable: true, min: 0, max: 300 }
`;

let dir: TempDir;
let server: OpcuaTestServer;
let gw: TestGateway;
let host: MqttClient;
const pool = new ClientPool();
const seen: Array<{ type: string; payload: DecodedPayload }> = [];

beforeAll(async () => {
  dir = makeTempDir();
  server = await startOpcuaServer({
    pkiDir: dir.path,
    variables: [
      { name: 'Temperature', dataType: DataType.Double, value: 180.5 },
      { name: 'Running', dataType: DataType.Boolean, value: true },
      { name: 'Recipe', dataType: DataType.String, value: 'rye' },
      { name: 'Setpoint', dataType: DataType.Double, value: 180, writable: true },
    ],
  });
  gw = await startTestGateway({ mappings: { 'oven.yaml': mapping(server.endpoint) }, extra: 'access:\n  anonymousWrite: true\nsparkplug:\n  enabled: true\n  groupId: bakery\n' });
  host = await pool.connect(gw.url());
  host.on('message', (topic, payload) => seen.push({ type: topic.split('/')[2] ?? '', payload: decodePayload(payload) }));
  await host.subscribeAsync('spBv1.0/bakery/+/test-gw/#', { qos: 0 });
}, 60_000);

afterAll(async () => {
  await pool.endAll();
  await gw?.stop();
  await server?.stop();
  dir?.remove();
});

describe('Sparkplug B from an OPC UA device (real node-opcua server)', () => {
  it('births every metric with the datatype of its first value, sends changes, and writes a DCMD to the server', async () => {
    await host.publishAsync('spBv1.0/bakery/NCMD/test-gw', encodePayload({ timestamp: Date.now(), metrics: [{ name: 'Node Control/Rebirth', datatype: 11, booleanValue: true }] }));
    await until(() => seen.some((message) => message.type === 'DBIRTH' && message.payload.metrics.every((metric) => metric.isNull !== true)), 15_000);
    const birth = seen.findLast((message) => message.type === 'DBIRTH');
    expect(birth?.payload.metrics.map((metric) => [metric.name, metric.datatype, metric.value?.value])).toEqual([
      ['plant/bake/oven/temperature', 10, 180.5],
      ['plant/bake/oven/running', 11, true],
      ['plant/bake/oven/recipe', 12, 'rye'],
      ['plant/bake/oven/setpoint', 10, 180],
    ]);
    server.set('Temperature', 181.25);
    await until(() => seen.some((message) => message.type === 'DDATA' && message.payload.metrics.some((metric) => metric.alias === 1n && metric.value?.value === 181.25)), 5000);
    await host.publishAsync('spBv1.0/bakery/DCMD/test-gw/oven', encodePayload({ timestamp: Date.now(), metrics: [{ alias: 4, doubleValue: 200 }] }));
    await until(() => server.get('Setpoint') === 200, 5000);
    await host.publishAsync('spBv1.0/bakery/DCMD/test-gw/oven', encodePayload({ timestamp: Date.now(), metrics: [{ alias: 4, doubleValue: 900 }] }));
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(server.get('Setpoint')).toBe(200);
  });
});
