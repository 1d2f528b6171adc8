import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { encodePayload } from '../../src/sparkplug/codec.ts';
import { cliGatewayYaml, startListeningGateway } from '../helpers/cli.ts';
import { ClientPool } from '../helpers/mqtt.ts';
import { decodePayload, type DecodedPayload } from '../helpers/sparkplug-decoder.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';
import { until } from '../helpers/until.ts';

const pool = new ClientPool();
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  await pool.endAll();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const start = (config: string) => startListeningGateway(config, cleanups);

/** A Sparkplug host's persistent session: NDEATH is QoS 1, so it is kept for the host while it is away. */
function hostSession(url: string): { client: MqttClient; seen: Array<{ type: string; payload: DecodedPayload }> } {
  const client = pool.open(url, { clientId: 'scada-host', clean: false });
  const seen: Array<{ type: string; payload: DecodedPayload }> = [];
  client.on('message', (topic, payload) => seen.push({ type: topic.split('/')[2] ?? '', payload: decodePayload(payload) }));
  return { client, seen };
}

const bdSeqOf = (payload: DecodedPayload | undefined) => payload?.metrics.find((metric) => metric.name === 'bdSeq')?.value?.value;

describe('Sparkplug B NDEATH when the gateway dies (real process)', () => {
  it('publishes the NDEATH of the dead session, with its bdSeq, before the next NBIRTH', async () => {
    const dir = makeTempDir();
    cleanups.push(() => dir.remove());
    const config = dir.write('gateway.yaml', cliGatewayYaml('edge-9', 'store:\n  dataDir: ./data\nsparkplug:\n  enabled: true\n  groupId: g\n'));
    const first = await start(config);
    const host = hostSession(first.url);
    await host.client.subscribeAsync('spBv1.0/g/#', { qos: 1 });
    await host.client.publishAsync('spBv1.0/g/NCMD/edge-9', encodePayload({ timestamp: Date.now(), metrics: [{ name: 'Node Control/Rebirth', datatype: 11, booleanValue: true }] }));
    await until(() => host.seen.some((message) => message.type === 'NBIRTH'), 5000);
    const born = bdSeqOf(host.seen.find((message) => message.type === 'NBIRTH')?.payload);
    await host.client.endAsync();
    first.gateway.child.kill('SIGKILL');
    await first.gateway.exited;

    const second = await start(config);
    const again = hostSession(second.url);
    await until(() => again.seen.some((message) => message.type === 'NDEATH'), 5000);
    expect(bdSeqOf(again.seen.find((message) => message.type === 'NDEATH')?.payload)).toBe(born);
    await again.client.publishAsync('spBv1.0/g/NCMD/edge-9', encodePayload({ timestamp: Date.now(), metrics: [{ name: 'Node Control/Rebirth', datatype: 11, booleanValue: true }] }));
    await until(() => again.seen.some((message) => message.type === 'NBIRTH'), 5000);
    expect(bdSeqOf(again.seen.find((message) => message.type === 'NBIRTH')?.payload)).toBe(((born as bigint) + 1n) % 256n);
  }, 60_000);
});
