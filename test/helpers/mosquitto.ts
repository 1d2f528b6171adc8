import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './free-port.ts';

/** Debian's mosquitto (.ci/run installs it), on PATH or in /usr/sbin, which a user's PATH may lack. */
const BINARY = ['mosquitto', '/usr/sbin/mosquitto'].find((candidate) => spawnSync(candidate, ['-h']).error === undefined);

export const hasMosquitto = BINARY !== undefined;

export interface MosquittoOptions {
  /** Folder for its config, password file and persistence. */
  dir: string;
  /** TLS listener files (PEM paths); plain TCP without. */
  tls?: { cert: string; key: string };
  /** Users and passwords; anonymous clients are refused when given. */
  users?: Record<string, string>;
  /** Extra lines for mosquitto.conf (a bridge). */
  extra?: string;
  /** Keep retained messages, sessions and queues in `dir` across restarts. */
  persistence?: boolean;
  port?: number;
}

/** A real Mosquitto process, stoppable and restartable on the same port (the upstream a bridge reconnects to). */
export interface MosquittoProcess {
  readonly port: number;
  readonly url: string;
  start(): Promise<void>;
  /** SIGTERM, and waits for the exit. */
  stop(): Promise<void>;
  kill(): Promise<void>;
}

export async function mosquitto(options: MosquittoOptions): Promise<MosquittoProcess> {
  const port = options.port ?? (await freePort());
  const config = join(options.dir, `mosquitto-${port}.conf`);
  const lines = [
    `listener ${port} 127.0.0.1`,
    `allow_anonymous ${options.users ? 'false' : 'true'}`,
    `user ${userInfo().username}`,
    'log_type error',
    `persistence ${options.persistence ? 'true' : 'false'}`,
    `persistence_location ${options.dir}/`,
    `persistence_file mosquitto-${port}.db`,
    'max_queued_messages 0',
    'max_inflight_messages 0',
  ];
  if (options.tls) lines.push(`certfile ${options.tls.cert}`, `keyfile ${options.tls.key}`);
  if (options.users) {
    const file = join(options.dir, `passwords-${port}`);
    for (const [index, [user, password]] of Object.entries(options.users).entries()) {
      spawnSync('mosquitto_passwd', [...(index === 0 ? ['-c'] : []), '-b', file, user, password]);
    }
    lines.push(`password_file ${file}`);
  }
  if (options.extra) lines.push(options.extra);
  writeFileSync(config, `${lines.join('\n')}\n`);
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const stopWith = async (signal: NodeJS.Signals) => {
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    await exited;
    child = undefined;
  };
  const handle: MosquittoProcess = {
    port,
    url: `${options.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`,
    async start() {
      const started = spawn(BINARY ?? 'mosquitto', ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      started.stderr?.on('data', (chunk) => (stderr += chunk));
      exited = new Promise((resolve) => started.on('exit', () => resolve()));
      child = started;
      const deadline = Date.now() + 10_000;
      while (!(await accepts(port))) {
        if (started.exitCode !== null || Date.now() > deadline) throw new Error(`mosquitto did not start on ${port}: ${stderr}`);
        await sleep(25);
      }
    },
    stop: () => stopWith('SIGTERM'),
    kill: () => stopWith('SIGKILL'),
  };
  await handle.start();
  return handle;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
