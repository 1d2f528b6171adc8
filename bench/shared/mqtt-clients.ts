import { Socket } from 'node:net';
import { connectAsync, type MqttClient } from 'mqtt';

/** What a client logs in with; without it, it connects anonymously. */
export interface Credentials {
  username: string;
  password: string;
}

/** Connect one MQTT 3.1.1 client (clean session, no auto-reconnect, TCP_NODELAY) to a loopback broker. */
export async function connectClient(host: string, port: number, name: string, credentials?: Credentials): Promise<MqttClient> {
  const client = await connectAsync(
    `mqtt://${host}:${port}`,
    {
      clientId: `bench-${process.pid}-${name}`,
      ...credentials,
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      keepalive: 60,
    },
    false,
  );
  // MQTT.js leaves Nagle's algorithm on, which holds small publishes back until
  // earlier data is ACKed. In trials that left both the broker and the load
  // generator partly idle (lower, noisier throughput), i.e. it measured the
  // client socket rather than the broker, so turn it off.
  if (client.stream instanceof Socket) client.stream.setNoDelay(true);
  return client;
}

/** Disconnect all clients, giving up (forcefully) after `timeoutMs`. */
export async function endClients(clients: readonly MqttClient[], timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
  });
  await Promise.race([Promise.allSettled(clients.map((c) => c.endAsync())), timeout]);
  clearTimeout(timer);
  for (const c of clients) if (!c.disconnected) c.end(true);
}

/** Milliseconds of CPU (user + system) this process used since `since`. */
export function cpuMsSince(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
}
