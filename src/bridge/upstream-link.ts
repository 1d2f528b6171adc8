import type { PeerCertificate, TLSSocket } from 'node:tls';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { GatewayError } from '../errors.ts';
import { connectError, type PeerCertificateInfo } from './connect-error.ts';

export interface LinkOptions {
  url: string;
  /** MQTT.js options for a connection (client id, credentials, TLS, will, keep-alive), taken at every attempt. */
  client: IClientOptions | (() => IClientOptions);
  minDelayMs: number;
  maxDelayMs: number;
}

export interface LinkEvents {
  /** A connection is up: the client to publish on until `down`. */
  up(client: MqttClient): void;
  /** The connection is gone, or an attempt failed; the link tries again after `retryInMs`. */
  down(error: GatewayError, retryInMs: number): void;
}

/**
 * The connection to one upstream broker: one MQTT.js client per attempt, with no reconnect of its own and
 * a clean session, so that what is resent after a drop is decided by the outbox alone. A failed attempt is
 * retried after a wait that doubles up to `maxDelayMs` (with ±20 % jitter, so that many gateways coming
 * back do not retry in step); a connection that came up resets the wait.
 */
export class UpstreamLink {
  private client: MqttClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private delayMs: number;
  private stopped = false;

  constructor(
    private readonly options: LinkOptions,
    private readonly events: LinkEvents,
  ) {
    this.delayMs = options.minDelayMs;
  }

  start(): void {
    this.attempt();
  }

  /** Publishes `last` (QoS 1) if connected, then disconnects cleanly: the will is not sent. */
  async stop(last?: { topic: string; payload: string | Buffer; retain: boolean }): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    if (client === undefined) return;
    if (last !== undefined && client.connected) {
      await Promise.race([
        new Promise<void>((resolve) => client.publish(last.topic, last.payload, { qos: 1, retain: last.retain }, () => resolve())),
        new Promise<void>((resolve) => setTimeout(resolve, 1000).unref()),
      ]);
    }
    await new Promise<void>((resolve) => client.end(!client.connected, {}, () => resolve()));
  }

  private attempt(): void {
    if (this.stopped) return;
    let failure: GatewayError | undefined;
    let peer: PeerCertificateInfo | undefined;
    let wasUp = false;
    // requestOCSP: Node emits OCSPResponse during the handshake, while the server's certificate can still be
    // read; a certificate that fails verification has its socket destroyed before any other event can read it.
    const options: IClientOptions & { requestOCSP: boolean } = {
      ...(typeof this.options.client === 'function' ? this.options.client() : this.options.client),
      reconnectPeriod: 0,
      clean: true,
      protocolVersion: 4,
      resubscribe: false,
      requestOCSP: true,
    };
    const client = mqtt.connect(this.options.url, options);
    this.client = client;
    const tlsSocket = client.stream as Partial<TLSSocket> | undefined;
    tlsSocket?.once?.('OCSPResponse', () => {
      peer = tlsSocket.getPeerCertificate === undefined ? undefined : peerInfo(tlsSocket.getPeerCertificate());
    });
    client.on('error', (error: Error & { code?: unknown }) => {
      failure ??= connectError(error, this.options.url, peer);
    });
    client.on('connect', () => {
      if (this.client !== client) return;
      wasUp = true;
      this.delayMs = this.options.minDelayMs;
      this.events.up(client);
    });
    client.on('close', () => {
      if (this.client !== client) return;
      this.client = undefined;
      client.removeAllListeners('connect');
      client.end(true);
      const error = failure ?? connectError(new Error(wasUp ? 'the upstream closed the connection' : 'the upstream closed the connection before CONNACK'), this.options.url);
      const wait = this.nextDelay();
      this.events.down(error, wait);
      if (this.stopped) return;
      this.timer = setTimeout(() => this.attempt(), wait);
    });
  }

  private nextDelay(): number {
    const wait = this.delayMs * (0.8 + Math.random() * 0.4);
    this.delayMs = Math.min(this.delayMs * 2, this.options.maxDelayMs);
    return Math.round(wait);
  }
}

/** The names a user reads in a certificate: its subject's and issuer's common names, and its alternative names. */
function peerInfo(certificate: PeerCertificate | undefined): PeerCertificateInfo | undefined {
  if (certificate?.subject === undefined) return undefined;
  const name = (dn: PeerCertificate['subject'] | undefined) => (dn === undefined ? undefined : [dn.CN ?? Object.values(dn)].flat().join(', ') || undefined);
  return { subject: name(certificate.subject), issuer: name(certificate.issuer), altNames: certificate.subjectaltname };
}
