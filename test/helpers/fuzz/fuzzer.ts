// Fuzzes an MQTT broker on 127.0.0.1:<port> (argv[2]) from its own process: many short connections, each
// sending random bytes or mutated MQTT 3.1.1 packets without waiting for replies. Prints the seed on stderr
// first and a JSON summary on stdout last. FUZZ_SEED replays a run; FUZZ_PACKETS, FUZZ_CONCURRENCY and
// FUZZ_TIME_LIMIT_MS bound it; FUZZ_GATEWAY_ID names the gateway whose reserved topics it aims at.
import { randomInt } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { planConnection, type ConnectionKind } from './plan.ts';
import { connectionSeed, seededRandom } from './random.ts';

const HOST = '127.0.0.1';
/** Packets written in one chunk before giving the event loop a turn, so that a close by the broker is seen soon. */
const BURST = 4;
/** Consecutive refused connections after which the broker is taken for dead. */
const GIVE_UP_AFTER_REFUSALS = 20;
const CLOSE_WAIT_MS = 1000;

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  process.stderr.write('usage: fuzzer.ts <port on 127.0.0.1>\n');
  process.exit(2);
}
const seed = process.env.FUZZ_SEED === undefined ? randomInt(2 ** 31) : Number(process.env.FUZZ_SEED);
const target = Number(process.env.FUZZ_PACKETS ?? 100_000);
const concurrency = Number(process.env.FUZZ_CONCURRENCY ?? 50);
const timeLimitMs = Number(process.env.FUZZ_TIME_LIMIT_MS ?? 45_000);
const gatewayId = process.env.FUZZ_GATEWAY_ID ?? 'uns-gateway';
process.stderr.write(`mqtt fuzzer: seed ${seed} (FUZZ_SEED=${seed} replays it), ${target} packets to 127.0.0.1:${port}\n`);

const summary = {
  seed,
  packets: 0,
  bytes: 0,
  connections: 0,
  byKind: { random: 0, mutated: 0, 'after-connect': 0 } satisfies Record<ConnectionKind, number>,
  closedByBroker: 0,
  /** Connections the broker had not closed CLOSE_WAIT_MS after this side ended them. */
  lingered: { random: 0, mutated: 0, 'after-connect': 0 } satisfies Record<ConnectionKind, number>,
  refused: 0,
  bytesReceived: 0,
  durationMs: 0,
  timedOut: false,
};
const started = Date.now();
let nextConnection = 0;
let refusedInARow = 0;

function opened(socket: Socket): Promise<boolean> {
  return new Promise((resolve) => {
    socket.once('connect', () => resolve(true));
    socket.once('error', () => resolve(false));
  });
}

/** Resolves true when the socket closes within `ms`, false when it does not. */
function closedWithin(socket: Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function drainedOrClosed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.once('drain', done);
    socket.once('close', done);
  });
}

async function runConnection(index: number): Promise<void> {
  const plan = planConnection(seededRandom(connectionSeed(seed, index)), gatewayId);
  const socket = connect({ host: HOST, port });
  let open = true;
  let weClosed = false;
  socket.on('data', (chunk: Buffer) => (summary.bytesReceived += chunk.length));
  socket.on('error', () => undefined);
  socket.once('close', () => {
    open = false;
    if (!weClosed) summary.closedByBroker++;
  });
  if (!(await opened(socket))) {
    summary.refused++;
    refusedInARow++;
    weClosed = true;
    socket.destroy();
    return;
  }
  refusedInARow = 0;
  summary.connections++;
  summary.byKind[plan.kind]++;
  for (let done = false; open && !done; ) {
    const burst: Buffer[] = [];
    while (burst.length < BURST) {
      const next = plan.packets.next();
      if (next.done) {
        done = true;
        break;
      }
      burst.push(next.value);
      summary.packets++;
      summary.bytes += next.value.length;
    }
    if (burst.length > 0 && !socket.write(Buffer.concat(burst))) await drainedOrClosed(socket);
    await yieldToLoop();
  }
  if (open) {
    weClosed = true;
    socket.end();
    if (!(await closedWithin(socket, CLOSE_WAIT_MS))) summary.lingered[plan.kind]++;
  }
  socket.destroy();
}

const deadline = started + timeLimitMs;
const more = () => summary.packets < target && refusedInARow < GIVE_UP_AFTER_REFUSALS && Date.now() < deadline;

async function lane(): Promise<void> {
  while (more()) await runConnection(nextConnection++);
}

await Promise.all(Array.from({ length: concurrency }, () => lane()));
summary.durationMs = Date.now() - started;
summary.timedOut = summary.packets < target && Date.now() >= deadline;
process.stdout.write(`${JSON.stringify(summary)}\n`);
