import { TLSSocket, type PeerCertificate } from 'node:tls';
import type { Client } from 'aedes';
import type { ListenerConfig } from '../../schemas/gateway.ts';

type TlsListenerConfig = Extract<ListenerConfig, { cert: string }>;

/** The subject alternative name types that may name a user (`certificateUsername: san`). */
const USER_SAN_TYPES = new Set(['DNS', 'email', 'URI']);
/** One entry of Node's `subjectaltname`: `type:value`, the value JSON-quoted when it holds a comma, quote or backslash. */
const SAN_ENTRY = /([^:,]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/y;

/** What a log line says about a client certificate. */
export interface CertificateFields {
  subject: string | undefined;
  issuer: string | undefined;
  fingerprint256: string;
}

export interface CertificateRefusal {
  reason: string;
  certificate?: CertificateFields;
}

/** A certificate login: the user the certificate names, or why it is refused. */
export type CertificateLogin = { username: string } | { refused: string; certificate: CertificateFields; names: string[] };

/** Whether clients on `listener` must show a certificate signed by its `ca`: by default when it has one. */
function requiresCertificate(listener: TlsListenerConfig): boolean {
  return listener.requireCertificate ?? listener.ca !== undefined;
}

function shown(certificate: PeerCertificate): boolean {
  return Object.keys(certificate).length > 0;
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function describeCertificate(certificate: PeerCertificate): CertificateFields {
  return { subject: firstValue(certificate.subject?.CN), issuer: firstValue(certificate.issuer?.CN), fingerprint256: certificate.fingerprint256 };
}

/**
 * Why a TLS connection is closed, its handshake done, before it reaches MQTT: a client certificate that is
 * not signed by the listener's `ca` (or expired, …), or none where one is required. Undefined: it may go on.
 */
export function certificateRefusal(socket: TLSSocket, listener: ListenerConfig): CertificateRefusal | undefined {
  if (!('cert' in listener) || listener.ca === undefined || socket.authorized) return undefined;
  const certificate = socket.getPeerCertificate();
  if (shown(certificate)) {
    return { reason: `the client certificate does not verify against the listener's ca (${String(socket.authorizationError)})`, certificate: describeCertificate(certificate) };
  }
  return requiresCertificate(listener) ? { reason: 'no client certificate (broker.listeners[].requireCertificate)' } : undefined;
}

/** The names Node's `subjectaltname` string gives, of the types that may name a user. */
function subjectAltNames(text: string | undefined): string[] {
  const names: string[] = [];
  if (text === undefined) return names;
  SAN_ENTRY.lastIndex = 0;
  for (let match = SAN_ENTRY.exec(text); match !== null && match[0] !== ''; match = SAN_ENTRY.exec(text)) {
    const [, type = '', raw = ''] = match;
    if (USER_SAN_TYPES.has(type)) names.push(raw.startsWith('"') ? (JSON.parse(raw) as string) : raw);
  }
  return names;
}

/** The names a certificate gives, per `certificateUsername`: its subject common name(s), or its DNS, email and URI alternative names. */
export function certificateNames(certificate: PeerCertificate, from: 'cn' | 'san'): string[] {
  if (from === 'san') return subjectAltNames(certificate.subjectaltname);
  const cn: string | string[] | undefined = certificate.subject?.CN;
  return cn === undefined ? [] : [cn].flat();
}

/** The TLS socket under an aedes client: its connection on a tls listener, the socket of its HTTP upgrade on a wss one. */
function tlsSocketOf(client: Client): TLSSocket | undefined {
  const socket: unknown = client.req?.socket ?? client.conn;
  return socket instanceof TLSSocket ? socket : undefined;
}

/**
 * The user a client's certificate names on a listener with `certificateUsername`; undefined when the listener
 * takes no users from certificates or the client showed none (it logs in like any other client then). A
 * CONNECT username must be one of the certificate's names; without one, exactly one of them must be a user.
 */
export function certificateLogin(
  client: Client,
  listener: ListenerConfig | undefined,
  username: string | undefined,
  isUser: (name: string) => boolean,
): CertificateLogin | undefined {
  if (listener === undefined || !('cert' in listener) || listener.certificateUsername === undefined) return undefined;
  const socket = tlsSocketOf(client);
  const certificate = socket?.getPeerCertificate();
  if (socket === undefined || certificate === undefined || !shown(certificate)) return undefined;
  const from = listener.certificateUsername;
  const names = certificateNames(certificate, from);
  const refuse = (refused: string): CertificateLogin => ({ refused, certificate: describeCertificate(certificate), names });
  const named = from === 'cn' ? 'its subject common name' : 'its DNS, email and URI subject alternative names';
  if (!socket.authorized) return refuse('the client certificate does not verify against the listener\'s ca');
  if (username !== undefined && !names.includes(username)) {
    return refuse(`username "${username}" is not a name the client certificate gives (${named}, broker.listeners[].certificateUsername: ${from})`);
  }
  const users = [...new Set(username === undefined ? names : [username])].filter(isUser);
  const [user, ...others] = users;
  if (user === undefined) return refuse(`the client certificate names no configured user (${named}, broker.listeners[].certificateUsername: ${from})`);
  if (others.length > 0) return refuse(`the client certificate names several users (${users.join(', ')}): the client must give one as its CONNECT username`);
  return { username: user };
}
