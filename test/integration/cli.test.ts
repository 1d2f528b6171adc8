import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/broker/passwords.ts';
import { cliGatewayYaml, runCli, startCliGateway, type RunningGateway } from '../helpers/cli.ts';
import { ClientPool, Inbox } from '../helpers/mqtt.ts';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.ts';

const root = resolve(import.meta.dirname, '../..');
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

const CONFIG = cliGatewayYaml('cli-gw', 'store:\n  dataDir: ./data\n');

describe('uns-gateway validate', () => {
  it('accepts the committed default config and prints the topics it would publish', async () => {
    const result = await runCli(['validate'], root);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('config/gateway.yaml: valid (2 mapping files, 2 devices, 15 tags)');
    expect(result.stdout).toContain('  _gateway/uns-gateway/status  (retained, online/offline)');
    expect(result.stdout).toContain('  demo-plant/pumping/pump-101/discharge-pressure  (retained, qos 1, demo-pump-station/discharge-pressure, bar)');
  });

  it('exits 1 and lists every error of a bad config', async () => {
    dir = makeTempDir();
    dir.write('gateway.yaml', 'id: "a/b"\nbroker:\n  listeners: []\nmappings: [missing.yaml]\n');
    const result = await runCli(['validate', '--config', `${dir.path}/gateway.yaml`]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.replaceAll(`${dir.path}/`, '').trim().split('\n');
    expect(lines[0]).toBe('configuration has 3 errors:');
    expect(lines.slice(1)).toEqual([
      'gateway.yaml:1:5 id: topic level "a/b" holds "/"',
      'gateway.yaml:3:14 broker.listeners: Too small: expected array to have >=1 items',
      expect.stringMatching(/^gateway\.yaml:4:12 mappings\[0\]: mapping file "missing\.yaml" not found/),
    ]);
  });

  it('prints usage and exits 2 on an unknown command', async () => {
    const result = await runCli(['launch']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown command "launch"');
    expect(result.stderr).toContain('Usage: uns-gateway <command>');
  });
});

describe('uns-gateway passwd', () => {
  it('prints a scrypt hash of the password read on standard input', async () => {
    const result = await runCli(['passwd'], undefined, 'op-secret\n');
    expect(result.code).toBe(0);
    const hash = result.stdout.trim();
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(await verifyPassword('op-secret', hash)).toBe(true);
    expect(await verifyPassword('other', hash)).toBe(false);
  });
});

describe('uns-gateway run', () => {
  it('serves MQTT, and on SIGINT publishes offline, closes its listeners and exits 0', async () => {
    dir = makeTempDir();
    const config = dir.write('gateway.yaml', CONFIG);
    running = startCliGateway(config);
    const ready = await running.waitForLog('listener ready');
    const url = `mqtt://127.0.0.1:${String(ready.port)}`;
    const sub = await pool.connect(url);
    const inbox = new Inbox(sub);
    await sub.subscribeAsync('_gateway/cli-gw/status', { qos: 1 });
    await inbox.waitFor(1);
    running.child.kill('SIGINT');
    expect(await running.exited).toBe(0);
    expect(inbox.messages.map((m) => m.payload)).toEqual(['online', 'offline']);
    await expect(pool.connect(url, { connectTimeout: 1000 })).rejects.toThrow(/ECONNREFUSED/);
  });

  it('refuses to start on a bad config, exit 1', async () => {
    dir = makeTempDir();
    const config = dir.write('gateway.yaml', `${CONFIG}colour: red\n`);
    const result = await runCli(['run', '--config', config]);
    expect(result.code).toBe(1);
    expect(result.stderr.replaceAll(`${dir.path}/`, '')).toBe(
      'uns-gateway: refusing to start\nconfiguration has 1 error:\ngateway.yaml:13:1 colour: unknown key\n',
    );
  });
});
