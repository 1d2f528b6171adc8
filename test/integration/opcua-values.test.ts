import { DataType } from 'node-opcua';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { Inbox, sleep, type Received } from '../helpers/mqtt.ts';
import { useOpcuaGateway } from '../helpers/opcua-gateway.ts';
import { startOpcuaServer } from '../helpers/opcua-server.ts';
import { until } from '../helpers/until.ts';

const VARIABLES = [
  { name: 'Ratio', dataType: DataType.Float, value: 0.1 },
  { name: 'Total', dataType: DataType.Float, value: 16777216 },
  { name: 'Fine', dataType: DataType.Float, value: 1.0000001 },
  { name: 'Ratios', dataType: DataType.Float, value: [0.1, 16777216, 10.0000105, -1e-45], array: true },
  { name: 'Blob', dataType: DataType.ByteString, value: Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00]) },
  { name: 'Blobs', dataType: DataType.ByteString, value: [Buffer.from([1, 2]), Buffer.from('UNS')], array: true },
  { name: 'Grid', dataType: DataType.Int32, value: [1, 2, 3, 4, 5, 6], dimensions: [2, 3] },
];

const TAGS = ['ratio', 'total', 'fine', 'ratios', 'blob', 'blobs', 'grid'];

const mapping = (endpoint: string) => `devices:
  - name: values-plc
    protocol: opcua
    endpoint: ${endpoint}
    publishingIntervalMs: 50
    samplingIntervalMs: 20
    reconnect: { initialMs: 200, maxMs: 1000 }
    site: plant
    area: lab
    asset: bench
    tags:
${VARIABLES.map((v, i) => `      - { name: ${TAGS[i]}, nodeId: "ns=1;s=Plant.${v.name}" }`).join('\n')}
`;

const opc = useOpcuaGateway(
  (dir) => ({ pkiDir: dir.path, variables: VARIABLES }),
  (server) => ({ mappings: { 'values.yaml': mapping(server.endpoint) } }),
);

/** The latest payload text of each tag, by tag name. */
function latest(messages: Received[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of messages) out[m.topic.split('/').at(-1) ?? ''] = m.payload;
  return out;
}

describe('OPC UA values as JSON', () => {
  it('publishes Float as the shortest decimal that reads back, ByteString as base64, a Matrix as nested arrays', async () => {
    const sub = await opc.pool.connect(opc.gw.url());
    const inbox = new Inbox(sub);
    await sub.subscribeAsync('plant/lab/bench/+', { qos: 1 });
    // On a timeout, the comparison below shows which tags came and what they carried.
    await until(() => Object.keys(latest(inbox.messages)).length === TAGS.length, 25_000).catch(() => undefined);
    const values = Object.fromEntries(Object.entries(latest(inbox.messages)).map(([tag, text]) => [tag, text.replace(/,"timestamp".*$/, '')]));
    expect(values).toEqual({
      ratio: '{"value":0.1',
      total: '{"value":16777216',
      fine: '{"value":1.0000001',
      ratios: '{"value":[0.1,16777216,10.0000105,-1e-45]',
      blob: '{"value":"3q2+7wA="',
      blobs: '{"value":["AQI=","VU5T"]',
      grid: '{"value":[[1,2,3],[4,5,6]]',
    });
  }, 40_000);

  it('follows a change of a matrix, and publishes an unchanged one once', async () => {
    const sub = await opc.pool.connect(opc.gw.url());
    const inbox = new Inbox(sub);
    await sub.subscribeAsync('plant/lab/bench/grid', { qos: 1 });
    await inbox.waitFor(1);
    opc.server.set('Grid', [6, 5, 4, 3, 2, 1]);
    await until(() => inbox.messages.length >= 2, 10_000);
    opc.server.set('Grid', [6, 5, 4, 3, 2, 1]);
    await sleep(500);
    expect(inbox.messages.map((m) => JSON.parse(m.payload).value)).toEqual([
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      [
        [6, 5, 4],
        [3, 2, 1],
      ],
    ]);
  });
});

describe('uns-gateway browse --yaml', () => {
  it('names the device after host and port, so that two servers on one host load side by side', async () => {
    const other = await startOpcuaServer({ pkiDir: `${opc.dir.path}/other`, variables: [{ name: 'Ratio', dataType: DataType.Float, value: 0.5 }] });
    try {
      // Both at once: each browse is a CLI process of its own.
      const browsed = await Promise.all(
        [opc.server, other].map((peer) => runCli(['browse', peer.endpoint, '--root', 'ns=0;i=85', '--depth', '3', '--yaml'])),
      );
      const files = [opc.server, other].map((peer, i) => {
        const { code, stdout, stderr } = browsed[i] ?? { code: null, stdout: '', stderr: '' };
        expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
        expect(stdout).toContain(`  - name: opcua-127.0.0.1-${peer.port}\n`);
        return opc.dir.write(`browse/mappings/${peer.port}.yaml`, stdout);
      });
      const config = opc.dir.write('browse/gateway.yaml', `id: check\nmappings:\n${files.map((file) => `  - ${file}`).join('\n')}\n`);
      const validated = await runCli(['validate', '--config', config]);
      expect(validated.stderr).toBe('');
      expect(validated.code).toBe(0);
      expect(validated.stdout).toContain(`site/area/opcua-127.0.0.1-${opc.server.port}/Plant/Ratio`);
      expect(validated.stdout).toContain(`site/area/opcua-127.0.0.1-${other.port}/Plant/Ratio`);
    } finally {
      await other.stop();
    }
  }, 90_000);
});
