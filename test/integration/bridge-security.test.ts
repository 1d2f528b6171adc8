import { afterEach, describe, expect, it } from 'vitest';
import type { BridgeStatus } from '../../src/bridge/bridge-status.ts';
import { certificateAuthority, type CertificateAuthority } from '../helpers/certificates.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { hasMosquitto, mosquitto, type MosquittoProcess } from '../helpers/mosquitto.ts';
import { ClientPool, Inbox, sleep } from '../helpers/mqtt.ts';
import { tcpProxy } from '../helpers/tcp-proxy.ts';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.ts';
import { until } from '../helpers/until.ts';
import { UpstreamCollector } from '../helpers/upstream-collector.ts';

const pool = new ClientPool();
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  await pool.endAll();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const PASSWORD_VARIABLE = 'UNS_TEST_BRIDGE_SECURITY_PASSWORD';
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, index) => String(from + index));

function tempDir(): TempDir {
  const dir = makeTempDir();
  cleanups.push(() => dir.remove());
  return dir;
}

interface Bridged {
  gateway: TestGateway;
  /** The bridge's latest status, from its retained status topic. */
  status: () => BridgeStatus | undefined;
  /** The distinct failures the status has reported (one per failed attempt the status saw). */
  failures: () => NonNullable<BridgeStatus['lastError']>[];
  publish: (count: number, from?: number) => Promise<void>;
}

/** A gateway in `dir` (kept across restarts) bridged to `url`, forwarding `plant/#`, with `lines` added to the bridge. */
async function bridged(dir: TempDir, url: string, lines = '', files: Record<string, string> = {}): Promise<Bridged> {
  const gateway = await startTestGateway({
    dir,
    files,
    extra: `bridges:
  - name: hq
    url: ${url}
    forward: ['plant/#']
    reconnect: { minS: 0.1, maxS: 0.4 }
    statusIntervalS: 0.05
${lines}`,
  });
  cleanups.push(() => gateway.stop());
  const watcher = await pool.connect(gateway.url());
  const statuses = new Inbox(watcher);
  await watcher.subscribeAsync('_gateway/test-gw/bridges/hq/status', { qos: 1 });
  const local = await pool.connect(gateway.url());
  const parsed = () => statuses.messages.map((message) => JSON.parse(message.payload) as BridgeStatus);
  return {
    gateway,
    status: () => parsed().at(-1),
    failures: () => {
      const seen = new Map<number, NonNullable<BridgeStatus['lastError']>>();
      for (const { lastError } of parsed()) if (lastError !== null) seen.set(lastError.at, lastError);
      return [...seen.values()];
    },
    async publish(count, from = 0) {
      for (let i = from; i < from + count; i++) await local.publishAsync('plant/a/b/c', String(i), { qos: 1 });
    },
  };
}

/** A Mosquitto on TLS with a server certificate from `ca`, naming `san`; the CA is written to the gateway's tls/ca.pem. */
async function tlsUpstream(dir: TempDir, ca: CertificateAuthority, san: string[]): Promise<MosquittoProcess> {
  const server = ca.issue('upstream.test', { server: true, san });
  const broker = await mosquitto({ dir: dir.path, tls: { cert: dir.write('upstream/cert.pem', server.cert), key: dir.write('upstream/key.pem', server.key) } });
  cleanups.push(() => broker.kill());
  return broker;
}

/** A client on the upstream (trusting `ca`) that records what arrives under plant/#. */
async function upstreamInbox(broker: MosquittoProcess, options: Parameters<ClientPool['connect']>[1] = {}): Promise<Inbox> {
  const client = await pool.connect(broker.url, options);
  const inbox = new Inbox(client);
  await client.subscribeAsync('plant/#', { qos: 1 });
  return inbox;
}

describe.skipIf(!hasMosquitto)('bridge security against a real Mosquitto', () => {
  it('refuses an upstream certificate from a CA it does not trust, forwards nothing, and forwards all once tls.ca names that CA', async () => {
    const dir = tempDir();
    const ca = certificateAuthority(dir.path, 'Upstream CA');
    const other = certificateAuthority(dir.path, 'Other CA');
    const broker = await tlsUpstream(dir, ca, ['IP:127.0.0.1']);
    const upstream = await upstreamInbox(broker, { ca: ca.cert });
    const files = { 'tls/ca.pem': ca.cert, 'tls/other-ca.pem': other.cert };
    let from = 0;
    for (const lines of ['', '    tls: { ca: tls/other-ca.pem }\n']) {
      const run = await bridged(dir, broker.url, lines, files);
      await until(() => run.failures().length >= 2);
      expect(run.status()).toMatchObject({ state: 'connecting', sent: 0, lastError: { code: 'UNS_ERR_BRIDGE_TLS' } });
      expect(run.status()?.lastError?.message).toBe(
        `upstream ${broker.url} is not trusted: its certificate is signed by a CA that is not trusted (subject upstream.test, issued by Upstream CA) [UNABLE_TO_VERIFY_LEAF_SIGNATURE]; set bridges[].tls.ca to the CA that signed it`,
      );
      await run.publish(3, from);
      from += 3;
      await until(() => run.status()?.backlog === 3);
      await run.gateway.stop();
    }
    expect(upstream.messages).toEqual([]);
    const run = await bridged(dir, broker.url, '    tls: { ca: tls/ca.pem }\n', files);
    await upstream.waitFor(6);
    await until(() => run.status()?.state === 'connected' && run.status()?.sent === 6);
    expect(upstream.messages.map((message) => message.payload)).toEqual(range(0, 6));
    expect(run.status()).toMatchObject({ lastError: null, backlog: 0 });
  });

  it('refuses a certificate that does not name the host, and takes it when tls.servername is a name it holds', async () => {
    const dir = tempDir();
    const ca = certificateAuthority(dir.path, 'Upstream CA');
    const broker = await tlsUpstream(dir, ca, ['DNS:elsewhere.example']);
    const upstream = await upstreamInbox(broker, { ca: ca.cert, servername: 'elsewhere.example' });
    const files = { 'tls/ca.pem': ca.cert };
    const wrong = await bridged(dir, broker.url, '    tls: { ca: tls/ca.pem }\n', files);
    await until(() => wrong.failures().length >= 2);
    expect(wrong.status()).toMatchObject({ state: 'connecting', lastError: { code: 'UNS_ERR_BRIDGE_TLS' } });
    expect(wrong.status()?.lastError?.message).toBe(
      `upstream ${broker.url} is not trusted: its certificate does not name 127.0.0.1, only DNS:elsewhere.example (subject upstream.test, issued by Upstream CA) [ERR_TLS_CERT_ALTNAME_INVALID]; use a host name in the URL that the certificate holds, or set bridges[].tls.servername to one`,
    );
    await wrong.publish(2);
    await wrong.gateway.stop();
    expect(upstream.messages).toEqual([]);
    const right = await bridged(dir, broker.url, '    tls: { ca: tls/ca.pem, servername: elsewhere.example }\n', files);
    await upstream.waitFor(2);
    await until(() => right.status()?.state === 'connected');
    expect(upstream.messages.map((message) => message.payload)).toEqual(range(0, 2));
  });

  it('reports a refused login, retries with a growing wait (not a tight loop), and connects with the right password', async () => {
    const dir = tempDir();
    const broker = await mosquitto({ dir: dir.path, users: { plant: 'right-password' } });
    cleanups.push(() => broker.kill());
    const link = await tcpProxy(broker.port);
    cleanups.push(() => link.close());
    const upstream = await upstreamInbox(broker, { username: 'plant', password: 'right-password' });
    process.env[PASSWORD_VARIABLE] = 'wrong-password';
    cleanups.push(() => void delete process.env[PASSWORD_VARIABLE]);
    const url = `mqtt://127.0.0.1:${link.port}`;
    const wrong = await bridged(dir, url, `    username: plant\n    password: { env: ${PASSWORD_VARIABLE} }\n`);
    // Every attempt is one TCP connection through the proxy: when each came, over the next 2.5 s.
    const attempts: number[] = [];
    const started = performance.now();
    let seen = link.accepted;
    while (performance.now() - started < 2500) {
      if (link.accepted > seen) attempts.push(performance.now());
      seen = link.accepted;
      await sleep(5);
    }
    const gaps = attempts.slice(1).map((at, index) => at - (attempts[index] ?? 0));
    // Waits of 0.1, 0.2, 0.4, 0.4 … s (±20 %): 5 to 10 attempts in 2.5 s; a tight loop makes hundreds.
    expect(attempts.length).toBeGreaterThanOrEqual(5);
    expect(attempts.length).toBeLessThanOrEqual(10);
    expect(Math.min(...gaps)).toBeGreaterThan(60);
    expect(Math.max(...gaps)).toBeLessThan(700);
    expect(gaps.slice(-2).every((gap) => gap > 300)).toBe(true);
    expect(wrong.status()).toMatchObject({ state: 'connecting', sent: 0, lastError: { code: 'UNS_ERR_BRIDGE_LOGIN_REFUSED' } });
    expect(wrong.status()?.lastError?.message).toMatch(/bad username or password/);
    await wrong.publish(2);
    await wrong.gateway.stop();
    expect(upstream.messages).toEqual([]);
    const right = await bridged(dir, url, '    username: plant\n    password: { file: secrets/hq-password }\n', { 'secrets/hq-password': 'right-password\n' });
    await upstream.waitFor(2);
    await until(() => right.status()?.state === 'connected');
    expect(upstream.messages.map((message) => message.payload)).toEqual(range(0, 2));
    expect(right.status()?.lastError).toBeNull();
  });

  it('keeps serving local clients while the upstream is unreachable, and sends what waited in order once it listens', async () => {
    const dir = tempDir();
    const broker = await mosquitto({ dir: dir.path, persistence: true });
    cleanups.push(() => broker.kill());
    const collector = new UpstreamCollector(broker, 'plant/#');
    cleanups.push(() => collector.close());
    await collector.register();
    await broker.stop();
    const run = await bridged(tempDir(), broker.url);
    await until(() => run.failures().length >= 2);
    expect(run.status()).toMatchObject({ state: 'connecting', lastError: { code: 'UNS_ERR_BRIDGE_UNREACHABLE' } });
    expect(run.status()?.lastError?.message).toBe(`upstream ${broker.url} cannot be reached: nothing listens there (connection refused)`);
    const local = await pool.connect(run.gateway.url());
    const locally = new Inbox(local);
    await local.subscribeAsync('plant/#', { qos: 1 });
    await run.publish(50);
    await locally.waitFor(50);
    expect(locally.messages.map((message) => message.payload)).toEqual(range(0, 50));
    await until(() => run.status()?.backlog === 50);
    await broker.start();
    await collector.collect();
    await until(() => collector.arrivals.length >= 50, 10_000);
    await until(() => run.status()?.state === 'connected' && run.status()?.sent === 50);
    expect(collector.arrivals.map((arrival) => arrival.payload)).toEqual(range(0, 50));
    expect(run.status()).toMatchObject({ backlog: 0, resent: 0, dropped: { total: 0 } });
  });
});
