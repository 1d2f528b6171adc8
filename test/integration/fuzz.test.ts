import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startNodeFlags } from '../../bench/shared/start-flags.ts';
import { hashPassword } from '../../src/broker/passwords.ts';
import { ErrorCodes } from '../../shared/errors.ts';
import { cliGatewayYaml, startCliGateway, type RunningGateway } from '../helpers/cli.ts';
import { ClientPool, Inbox, sleep } from '../helpers/mqtt.ts';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.ts';

const FUZZER = new URL('../helpers/fuzz/fuzzer.ts', import.meta.url).pathname;
const GATEWAY_ID = 'fuzz-gw';
const PACKETS = 100_000;
const FUZZ_TIME_LIMIT_MS = 60_000;
const RSS_GROWTH_LIMIT_KB = 20 * 1024;

const STORE = 'store:\n  engine: sqlite\n  dataDir: ./data\n';
/** The user name of half of the fuzzer's CONNECT packets that carry one (test/helpers/fuzz/packets.ts). */
const FUZZ_USER = 'operator';
const FUZZ_USER_PASSWORD = 'fuzz user password';

/** The fuzzer's last line on stdout (see test/helpers/fuzz/fuzzer.ts); only these fields are asserted or logged here. */
interface FuzzSummary {
  seed: number;
  packets: number;
}

const pool = new ClientPool();
let dir: TempDir | undefined;
let gateway: RunningGateway | undefined;
let fuzzer: ChildProcess | undefined;

afterEach(async () => {
  await pool.endAll();
  for (const child of [fuzzer, gateway?.child]) {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
  }
  fuzzer = undefined;
  gateway = undefined;
  dir?.remove();
  dir = undefined;
});

function rssKb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB$/m);
  if (!line?.[1]) throw new Error(`no VmRSS for process ${pid}`);
  return Number(line[1]);
}

/** The least VmRSS seen over 2 s: what stays once the collector has had a moment. */
async function settledRssKb(pid: number): Promise<number> {
  let least = rssKb(pid);
  for (let sample = 0; sample < 10; sample++) {
    await sleep(200);
    least = Math.min(least, rssKb(pid));
  }
  return least;
}

/** Runs the fuzzer in its own process against 127.0.0.1:`port` and returns its summary. */
function runFuzzer(port: number): Promise<{ summary: FuzzSummary; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', FUZZER, String(port)], {
    env: { ...process.env, FUZZ_PACKETS: String(PACKETS), FUZZ_TIME_LIMIT_MS: String(FUZZ_TIME_LIMIT_MS), FUZZ_GATEWAY_ID: GATEWAY_ID },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  fuzzer = child;
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => {
      const last = stdout.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !last.startsWith('{')) reject(new Error(`fuzzer exited ${code}: ${stderr}${stdout}`));
      else resolve({ summary: JSON.parse(last) as FuzzSummary, stderr });
    });
  });
}

describe('broker fuzzing (gateway and fuzzer in their own processes)', () => {
  // A user is configured, whose name the fuzzer's CONNECT packets carry a share of the time: those logins cost a password
  // check (the user's hash, or a dummy one for unknown names), slowed down and refused unchecked by the login throttle.
  it('after 100,000 random and mutated packets the gateway is up, serves a well-behaved client, and its RSS is within 20 MB of the start', async () => {
    const hash = await hashPassword(FUZZ_USER_PASSWORD);
    const access = `access:\n  users:\n    - username: ${FUZZ_USER}\n      password: "${hash}"\n`;
    dir = makeTempDir();
    // The low-memory profile bounds V8's young generation and heap headroom: under `npm start`, V8 keeps the young
    // generation it grew under load (about 40 MB) and does not give it back while idle, so RSS would measure heap sizing, not leaks.
    gateway = startCliGateway(dir.write('gateway.yaml', cliGatewayYaml(GATEWAY_ID, STORE + access)), startNodeFlags(process.cwd(), 'start:lowmem'));
    const ready = await gateway.waitForLog('listener ready');
    const port = Number(ready.port);
    const url = `mqtt://127.0.0.1:${port}`;
    const pid = gateway.child.pid;
    if (pid === undefined) throw new Error('the gateway process has no pid');

    // The first login starts the password-check thread and fills its scrypt working memory (16 MB), kept from then on.
    await (await pool.connect(url, { clientId: `${FUZZ_USER}-warm-up`, username: FUZZ_USER, password: FUZZ_USER_PASSWORD })).endAsync();
    for (let n = 0; n < 5; n++) {
      const client = await pool.connect(url, { clientId: `warm-up-${n}`, clean: n % 2 === 0 });
      await client.subscribeAsync('fuzz-check/#', { qos: 1 });
      await client.publishAsync(`fuzz-check/warm-up/${n}`, 'warm', { qos: 1 });
      await client.endAsync();
    }
    const setter = await pool.connect(url, { clientId: 'retained-setter' });
    await setter.publishAsync('fuzz-check/retained', 'kept', { qos: 1, retain: true });
    await setter.endAsync();
    const rssStartKb = await settledRssKb(pid);

    const started = Date.now();
    const { summary } = await runFuzzer(port);
    const fuzzMs = Date.now() - started;
    expect(gateway.child.exitCode).toBeNull();
    expect(gateway.child.signalCode).toBeNull();
    const rssEndKb = await settledRssKb(pid);
    console.log(
      `fuzz: ${fuzzMs} ms, gateway VmRSS ${(rssStartKb / 1024).toFixed(1)} MB before and ${(rssEndKb / 1024).toFixed(1)} MB after; ` +
        `FUZZ_SEED=${summary.seed} replays ${JSON.stringify(summary)}`,
    );
    expect(summary.packets).toBeGreaterThanOrEqual(PACKETS);
    // Password checks did run: failed ones are logged with the delay they were given.
    expect(gateway.logs.filter((line) => line.code === ErrorCodes.AUTH_FAILED && 'delayMs' in line).length).toBeGreaterThan(0);

    const client = await pool.connect(url, { clientId: 'after-fuzz' });
    const inbox = new Inbox(client);
    await client.subscribeAsync([`_gateway/${GATEWAY_ID}/status`, 'fuzz-check/#'], { qos: 1 });
    await inbox.waitFor(2);
    await client.publishAsync('fuzz-check/own', 'hello', { qos: 1 });
    const received = await inbox.waitFor(3);
    expect([...received].sort((a, b) => a.topic.localeCompare(b.topic))).toEqual([
      { topic: `_gateway/${GATEWAY_ID}/status`, payload: 'online', qos: 1, retain: true },
      { topic: 'fuzz-check/own', payload: 'hello', qos: 1, retain: false },
      { topic: 'fuzz-check/retained', payload: 'kept', qos: 1, retain: true },
    ]);

    expect(rssEndKb - rssStartKb).toBeLessThanOrEqual(RSS_GROWTH_LIMIT_KB);
  }, 100_000);
});
