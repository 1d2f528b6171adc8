import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cliGatewayYaml, runCli, startCliGateway, type RunningGateway } from '../helpers/cli.ts';
import { freePort } from '../helpers/free-port.ts';
import { ClientPool, Inbox } from '../helpers/mqtt.ts';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.ts';
import { until } from '../helpers/until.ts';

const pool = new ClientPool();
let dir: TempDir | undefined;
let running: RunningGateway | undefined;

afterEach(async () => {
  await pool.endAll();
  if (running && running.child.exitCode === null) {
    running.child.kill('SIGKILL');
    await running.exited;
  }
  running = undefined;
  dir?.remove();
  dir = undefined;
});

const CONFIG = cliGatewayYaml('run-gw', 'reload:\n  watch: false\nstore:\n  dataDir: ./data\naccess:\n  anonymousWrite: true\nmappings:\n  - mappings/plc.yaml\n');

/** A PLC nobody serves: the tags exist in the namespace, the device stays unreachable. */
const mapping = (port: number) => `devices:
  - name: plc
    protocol: modbus
    transport: { type: tcp, host: 127.0.0.1, port: ${port} }
    site: site
    area: area
    asset: asset
    tags:
      - { name: level, register: holding, address: 0, dataType: uint16, writable: true }
`;

async function startGateway(): Promise<{ gateway: RunningGateway; url: string }> {
  dir = makeTempDir();
  dir.write('mappings/plc.yaml', mapping(await freePort()));
  const gateway = startCliGateway(dir.write('gateway.yaml', CONFIG));
  running = gateway;
  const ready = await gateway.waitForLog('listener ready');
  return { gateway, url: `mqtt://127.0.0.1:${String(ready.port)}` };
}

describe('uns-gateway run', () => {
  it('on SIGTERM stops cleanly: publishes offline, exits 0, and removes its pid file', async () => {
    const { gateway, url } = await startGateway();
    const sub = await pool.connect(url);
    const inbox = new Inbox(sub);
    await sub.subscribeAsync('_gateway/run-gw/status', { qos: 1 });
    await inbox.waitFor(1);
    expect(readFileSync(join(dir?.path ?? '', 'data/uns-gateway.pid'), 'utf8').trim()).toBe(String(gateway.child.pid));
    gateway.child.kill('SIGTERM');
    expect(await gateway.exited).toBe(0);
    expect(inbox.messages.map((m) => m.payload)).toEqual(['online', 'offline']);
    expect(existsSync(join(dir?.path ?? '', 'data/uns-gateway.pid'))).toBe(false);
  });

  it('reloads on SIGHUP and on `uns-gateway reload`, which refuses a broken config before signalling', async () => {
    const { gateway, url } = await startGateway();
    const sub = await pool.connect(url);
    const inbox = new Inbox(sub);
    await sub.subscribeAsync('_gateway/run-gw/config/status', { qos: 1 });
    await inbox.waitFor(1);
    const states = () => inbox.messages.map((m) => (JSON.parse(m.payload) as { state: string; trigger: string; changes?: { tagsAdded: string[] } }));
    expect(states()[0]).toMatchObject({ state: 'running', trigger: 'start' });
    gateway.child.kill('SIGHUP');
    await inbox.waitFor(2);
    expect(states()[1]).toMatchObject({ state: 'applied', trigger: 'signal', changes: { tagsAdded: [] } });

    const path = dir?.path ?? '';
    const mappingFile = join(path, 'mappings/plc.yaml');
    writeFileSync(mappingFile, `${readFileSync(mappingFile, 'utf8')}      - { name: flow, register: holding, address: 1, dataType: uint16 }\n`);
    const asked = await runCli(['reload', '--config', join(path, 'gateway.yaml')]);
    expect(asked.code).toBe(0);
    expect(asked.stdout).toContain(`reload requested (process ${gateway.child.pid})`);
    await until(() => states().some((status) => status.changes?.tagsAdded.includes('plc/flow') === true), 5000);

    writeFileSync(mappingFile, 'devices: [ {');
    const refused = await runCli(['reload', '--config', join(path, 'gateway.yaml')]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('not reloading, the running configuration stays');
    expect(refused.stderr).toMatch(/mappings\/plc\.yaml:1:\d+/);
    expect(gateway.child.exitCode).toBe(null);
  });

  it('answers a /set to a topic no tag is mapped to with UNS_ERR_SET_UNKNOWN_TAG, and logs it', async () => {
    const { gateway, url } = await startGateway();
    const client = await pool.connect(url, { clientId: 'writer-1' });
    const inbox = new Inbox(client);
    await client.subscribeAsync('site/area/asset/+/set/result', { qos: 1 });
    await client.publishAsync('site/area/asset/nosuchtag/set', '{"value": 5, "id": "w-9"}', { qos: 1 });
    const [result] = await inbox.waitFor(1);
    expect(result?.topic).toBe('site/area/asset/nosuchtag/set/result');
    expect(JSON.parse(result?.payload ?? '{}')).toEqual({
      ok: false,
      id: 'w-9',
      error: { code: 'UNS_ERR_SET_UNKNOWN_TAG', message: 'no tag is mapped to site/area/asset/nosuchtag: check the topic (uns-gateway validate lists them)' },
    });
    const logged = await gateway.waitForLog('write refused');
    expect(logged).toMatchObject({ clientId: 'writer-1', topic: 'site/area/asset/nosuchtag/set', code: 'UNS_ERR_SET_UNKNOWN_TAG', id: 'w-9' });
  });
});
