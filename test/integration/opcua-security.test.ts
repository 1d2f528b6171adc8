import { DataType } from 'node-opcua';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { Inbox, sleep } from '../helpers/mqtt.ts';
import { useOpcuaGateway } from '../helpers/opcua-gateway.ts';
import { startOpcuaServer } from '../helpers/opcua-server.ts';
import { validateCommandOutput } from '../helpers/validate.ts';

const opc = useOpcuaGateway(
  (dir) => ({ pkiDir: dir.path, secure: true, variables: [{ name: 'Level', dataType: DataType.Double, value: 3.5 }] }),
  (server) => ({
    mappings: {
      'secure.yaml': `devices:
  - name: secure-plc
    protocol: opcua
    endpoint: ${server.endpoint}
    securityMode: SignAndEncrypt
    securityPolicy: Basic256Sha256
    identity: { type: username, username: operator, password: op-secret }
    publishingIntervalMs: 100
    reconnect: { initialMs: 300, maxMs: 600 }
    site: plant
    area: tanks
    asset: tank-1
    tags:
      - { name: level, nodeId: "ns=1;s=Plant.Level", unit: m }
`,
    },
  }),
);

describe('OPC UA security', () => {
  it('refuses an untrusted server certificate naming its thumbprint and the command, then works once trusted (SignAndEncrypt, Basic256Sha256, username)', async () => {
    const sub = await opc.pool.connect(opc.gw.url());
    const inbox = new Inbox(sub);
    await sub.subscribeAsync(['_gateway/test-gw/devices/secure-plc/status', 'plant/tanks/tank-1/level'], { qos: 1 });
    const deadline = Date.now() + 20_000;
    const untrusted = () => inbox.messages.find((m) => m.topic.startsWith('_gateway') && m.payload.includes('UNS_ERR_OPCUA_UNTRUSTED_SERVER'));
    while (!untrusted() && Date.now() < deadline) await sleep(100);
    const status = JSON.parse(untrusted()?.payload ?? '{}') as { state: string; error: { message: string } };
    expect(status.state).toBe('error');
    const match = /certificate ([0-9a-f]{40}) \("[^"]+"\) at opc\.tcp:\/\/\S+ is not trusted \(BadCertificateUntrusted\); if it is the right server, run: uns-gateway pki trust ([0-9a-f]{40})$/.exec(status.error.message);
    expect(match, status.error.message).not.toBeNull();
    expect(match?.[1]).toBe(match?.[2]);
    expect(inbox.messages.some((m) => m.topic.endsWith('/level') && m.payload.includes('"good"'))).toBe(false);

    const config = `${opc.gw.dir.path}/gateway.yaml`;
    const listed = await runCli(['pki', 'list', '--config', config]);
    expect(listed.stdout).toContain(`rejected  ${match?.[1]}`);
    const trusted = await runCli(['pki', 'trust', match?.[1] ?? '', '--config', config]);
    expect(trusted.code).toBe(0);
    expect(trusted.stdout).toMatch(new RegExp(`^trusted ${match?.[1]} in `));

    const connected = Date.now() + 20_000;
    while (!inbox.messages.some((m) => m.topic.endsWith('/level') && m.payload.includes('"good"')) && Date.now() < connected) await sleep(100);
    const level = inbox.messages.find((m) => m.topic.endsWith('/level') && m.payload.includes('"good"'));
    expect(JSON.parse(level?.payload ?? '{}')).toMatchObject({ value: 3.5, quality: 'good', unit: 'm' });
    expect(opc.server.sessionCount()).toBe(1);
  }, 60_000);
});

describe('uns-gateway browse', () => {
  it('prints the tree, and a --yaml mapping that passes validate', async () => {
    const plain = await startOpcuaServer({
      pkiDir: `${opc.dir.path}/plain`,
      variables: [
        { name: 'Flow rate', dataType: DataType.Double, value: 1 },
        { name: 'set', dataType: DataType.Int32, value: 2 },
        { name: '$Status', dataType: DataType.String, value: 'ok' },
      ],
    });
    try {
      const tree = await runCli(['browse', plain.endpoint, '--depth', '2']);
      expect(tree.code).toBe(0);
      expect(tree.stdout).toContain('▸ 1:Plant  (ns=1;i=');
      expect(tree.stdout).toContain('  • 1:Flow rate  (ns=1;s=Plant.Flow rate)');
      const yaml = await runCli(['browse', plain.endpoint, '--root', 'ns=0;i=85', '--depth', '3', '--yaml']);
      expect(yaml.code).toBe(0);
      expect(yaml.stdout).toContain('name: Plant/Flow-rate');
      expect(yaml.stdout).toContain('name: Plant/set-value');
      expect(yaml.stdout).toContain('name: Plant/Status');
      const { code, stdout } = await validateCommandOutput(opc.dir, yaml.stdout);
      expect(code).toBe(0);
      expect(stdout).toContain(`site/area/opcua-127.0.0.1-${plain.port}/Plant/Flow-rate`);
    } finally {
      await plain.stop();
    }
  }, 60_000);
});
