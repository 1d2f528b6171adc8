/**
 * What hostile or broken clients cost the gateway: oversized packets (authenticated and not) and a flood
 * of idle connections under a 1,024 open-file limit (systemd's usual default), with RSS from /proc.
 *
 *   npm run bench:hostile [-- --gateway-bin path/to/uns-gateway.js]
 *
 * --gateway-bin runs another build (an older checkout's bin) through the same scenarios, for a before/after.
 */
import { writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { connect as mqttConnect } from 'mqtt';
import { stopBroker } from '../shared/broker-process.ts';
import { cleanupNow, makeTempDir } from '../shared/cleanup.ts';
import { gatewayConfigYaml } from '../shared/gateway-broker.ts';
import { launchGateway } from '../shared/gateway-process.ts';
import { REPO_ROOT as repoRoot } from '../shared/repo-root.ts';
import { readRssBytes } from '../shared/proc-cpu.ts';
import { isAlive } from '../shared/process.ts';
import { formatTable, fmtInt } from '../shared/table.ts';
import { ErrorCodes } from '../../shared/errors.ts';
import { encodeRemainingLength } from '../../test/helpers/raw-mqtt.ts';

const MB = 1024 * 1024;
/** CONNECT, MQTT 3.1.1, clean session, keep-alive 60 s, empty client id. */
const CONNECT = Buffer.from([0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x3c, 0x00, 0x00]);
const OPEN_FILES = 1024;

const { values } = parseArgs({ options: { 'gateway-bin': { type: 'string' }, idle: { type: 'string', default: '2000' } } });
const bin = path.resolve(values['gateway-bin'] ?? path.join(repoRoot, 'bin/uns-gateway.js'));
const idleCount = Number(values.idle);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Running {
  pid: number;
  port: number;
  alive(): boolean;
  warnings(code: string): number;
  stop(): Promise<unknown>;
}

/** The gateway as a process under `prlimit --nofile`, on a fresh data folder. */
async function startLimited(): Promise<Running> {
  const dir = makeTempDir('uns-bench-hostile-');
  const config = path.join(dir, 'gateway.yaml');
  writeFileSync(config, gatewayConfigYaml(path.join(dir, 'data')));
  const codes = new Map<string, number>();
  const gw = await launchGateway({
    repoRoot,
    bin,
    configFile: config,
    startTimeoutMs: 30_000,
    wrapper: ['prlimit', `--nofile=${OPEN_FILES}:${OPEN_FILES}`],
    onLog: (_record, line) => {
      const code = /"code":"(UNS_ERR_[A-Z0-9_]+)"/.exec(line)?.[1];
      if (code) codes.set(code, (codes.get(code) ?? 0) + 1);
    },
  });
  // prlimit execs node: the pid is the gateway's own.
  return { pid: gw.pid, port: gw.port, alive: () => isAlive(gw.child), warnings: (code) => codes.get(code) ?? 0, stop: () => stopBroker(gw.child, 5000, dir) };
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve(socket));
    socket.once('close', () => resolve(socket));
  });
}

function drainedOrClosed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const settle = () => {
      socket.off('drain', settle);
      socket.off('close', settle);
      resolve();
    };
    socket.on('drain', settle);
    socket.on('close', settle);
  });
}

/** Streams `bytes` of one packet whose fixed header announces them all; stops when the gateway closes the socket. */
async function sendHuge(port: number, header: number, bytes: number, before?: Buffer): Promise<number> {
  const socket = await open(port);
  if (before) {
    socket.write(before);
    await sleep(200);
  }
  let sent = 0;
  let closed = socket.destroyed;
  socket.once('close', () => (closed = true));
  socket.write(Buffer.concat([Buffer.from([header]), encodeRemainingLength(bytes)]));
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  while (!closed && sent < bytes) {
    const ok = socket.write(chunk);
    sent += chunk.length;
      if (!ok && !closed) await drainedOrClosed(socket);
  }
  socket.destroy();
  return sent;
}

/** Peak and settled RSS of `pid` while `work` runs. */
async function rssDuring(pid: number, work: () => Promise<unknown>): Promise<{ peak: number; after: number }> {
  let peak = readRssBytes(pid);
  const timer = setInterval(() => (peak = Math.max(peak, readRssBytes(pid))), 20);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  await sleep(2000);
  return { peak, after: readRssBytes(pid) };
}

/** Whether a well-behaved MQTT client gets a CONNACK within a second. */
function tryConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const client = mqttConnect(`mqtt://127.0.0.1:${port}`, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 1000 });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      client.end(true);
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 1500);
    client.once('connect', () => done(true));
    client.once('close', () => done(false));
    client.once('error', () => done(false));
  });
}

/** Milliseconds until a well-behaved MQTT client gets a CONNACK, trying every 100 ms. */
async function timeToConnect(port: number, limitMs: number): Promise<number | undefined> {
  const start = Date.now();
  while (Date.now() - start < limitMs) {
    if (await tryConnect(port)) return Date.now() - start;
    await sleep(100);
  }
  return undefined;
}

async function main(): Promise<void> {
  const gw = await startLimited();
  const rows: string[][] = [];
  const mb = (n: number) => (n / MB).toFixed(1);
  try {
    const base = readRssBytes(gw.pid);
    rows.push(['idle, after start', '', mb(base), mb(base), '']);

    console.error('one oversized PUBLISH…');
    const one = await rssDuring(gw.pid, () => sendHuge(gw.port, 0x30, 200 * MB, CONNECT));
    rows.push(['one 200 MB PUBLISH after CONNECT', '', mb(one.peak), mb(one.after), '']);

    console.error('five oversized CONNECTs…');
    const five = await rssDuring(gw.pid, () => Promise.all(Array.from({ length: 5 }, () => sendHuge(gw.port, 0x10, 150 * MB))));
    rows.push(['five unauthenticated 150 MB CONNECTs', '', mb(five.peak), mb(five.after), '']);

    console.error(`${idleCount} idle connections…`);
    let connectMs: number | undefined;
    const idle: Socket[] = [];
    const flood = await rssDuring(gw.pid, async () => {
      for (let i = 0; i < idleCount; i++) idle.push(await open(gw.port));
      connectMs = await timeToConnect(gw.port, 45_000);
    });
    const stillOpen = idle.filter((socket) => !socket.destroyed).length;
    for (const socket of idle) socket.destroy();
    rows.push([`${fmtInt(idleCount)} idle connections (${OPEN_FILES} open files)`, connectMs === undefined ? 'none in 45 s' : `${fmtInt(connectMs)} ms`, mb(flood.peak), mb(flood.after), fmtInt(stillOpen)]);

    console.log(`gateway: ${path.relative(repoRoot, bin) || bin}, run under prlimit --nofile=${OPEN_FILES}`);
    console.log(formatTable(['scenario', 'legit client gets in after', 'RSS peak MB', 'RSS 2 s after MB', 'idle sockets open then'], rows));
    console.log(`gateway alive at the end: ${gw.alive() ? 'yes' : 'NO'}`);
    const codes = [ErrorCodes.PACKET_TOO_LARGE, ErrorCodes.CONNECTION_LIMIT, ErrorCodes.CONNECT_TIMEOUT];
    console.log(`warnings logged (rate-limited): ${codes.map((code) => `${code} ${gw.warnings(code)}`).join(', ')}`);
  } finally {
    await gw.stop();
    cleanupNow();
  }
}

await main();
