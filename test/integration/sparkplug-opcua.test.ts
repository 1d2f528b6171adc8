import { DataType } from 'node-opcua';
import type { MqttClient } from 'mqtt';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodePayload } from '../../src/sparkplug/codec.ts';
import { useOpcuaGateway } from '../helpers/opcua-gateway.ts';
import { decodePayload, type DecodedPayload } from '../helpers/sparkplug-decoder.ts';
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

const opc = useOpcuaGateway(
  (dir) => ({
    pkiDir: dir.path,
    variables: [
      { name: 'Temperature', dataType: DataType.Double, value: 180.5 },
      { name: 'Running', dataType: DataType.Boolean, value: true },
      { name: 'Recipe', dataType: DataType.String, value: 'rye' },
      { name: 'Setpoint', dataType: DataType.Double, value: 180, writable: true },
    ],
  }),
  (server) => ({ mappings: { 'oven.yaml': mapping(server.endpoint) }, extra: 'access:\n  anonymousWrite: true\nsparkplug:\n  enabled: true\n  groupId: bakery\n' }),
);
let host: MqttClient;
const seen: Array<{ type: string; payload: DecodedPayload }> = [];

beforeAll(async () => {
  host = await opc.pool.connect(opc.gw.url());
  host.on('message', (topic, payload) => seen.push({ type: topic.split('/')[2] ?? '', payload: decodePayload(payload) }));
  await host.subscribeAsync('spBv1.0/bakery/+/test-gw/#', { qos: 0 });
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
    opc.server.set('Temperature', 181.25);
    await until(() => seen.some((message) => message.type === 'DDATA' && message.payload.metrics.some((metric) => metric.alias === 1n && metric.value?.value === 181.25)), 5000);
    await host.publishAsync('spBv1.0/bakery/DCMD/test-gw/oven', encodePayload({ timestamp: Date.now(), metrics: [{ alias: 4, doubleValue: 200 }] }));
    await until(() => opc.server.get('Setpoint') === 200, 5000);
    await host.publishAsync('spBv1.0/bakery/DCMD/test-gw/oven', encodePayload({ timestamp: Date.now(), metrics: [{ alias: 4, doubleValue: 900 }] }));
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(opc.server.get('Setpoint')).toBe(200);
  });
});
