import { ErrorCodes } from '../../shared/errors.ts';
import { GatewayError } from '../errors.ts';

/** What MQTT 3.1.1 CONNACK return codes mean, as a user reads them. */
const CONNACK_REASONS: Record<number, string> = {
  1: 'it does not speak MQTT 3.1.1 (CONNACK 1)',
  2: 'it refused the client id (CONNACK 2): set bridges[].clientId to one it accepts',
  3: 'it is unavailable (CONNACK 3)',
  4: 'bad username or password (CONNACK 4): check bridges[].username and the password its reference holds',
  5: 'not authorized (CONNACK 5): bad username or password (Mosquitto answers 5 to a wrong password), or a user it does not let connect: check bridges[].username and the password its reference holds',
};

const TLS_REASONS: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'its certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'its certificate chains to a CA that is not trusted',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its certificate is signed by a CA that is not trusted',
  UNABLE_TO_GET_ISSUER_CERT: 'the CA that signed its certificate is not trusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the CA that signed its certificate is not trusted',
  CERT_HAS_EXPIRED: 'its certificate has expired',
  CERT_NOT_YET_VALID: 'its certificate is not valid yet',
  CERT_SIGNATURE_FAILURE: 'its certificate\'s signature is wrong',
  CERT_REVOKED: 'its certificate is revoked',
};

const UNREACHABLE: Record<string, string> = {
  ECONNREFUSED: 'nothing listens there (connection refused)',
  ENOTFOUND: 'its host name is not found',
  EAI_AGAIN: 'its host name cannot be looked up now',
  ETIMEDOUT: 'it does not answer (timed out)',
  EHOSTUNREACH: 'there is no route to it',
  ENETUNREACH: 'the network is unreachable',
};

/** What to do about a certificate that fails, when it is not to name the CA that signed it. */
const TLS_HINTS: Record<string, string> = {
  ERR_TLS_CERT_ALTNAME_INVALID: 'use a host name in the URL that the certificate holds, or set bridges[].tls.servername to one',
  CERT_HAS_EXPIRED: 'the upstream needs a valid certificate (or this machine\'s clock is wrong)',
  CERT_NOT_YET_VALID: 'the upstream needs a valid certificate (or this machine\'s clock is wrong)',
  CERT_REVOKED: 'the upstream needs a new certificate',
};
const TRUST_HINT = 'set bridges[].tls.ca to the CA that signed it';

/** What the upstream certificate says (subject, issuer, alternative names), when the TLS handshake got one. */
export interface PeerCertificateInfo {
  subject?: string | undefined;
  issuer?: string | undefined;
  /** As Node gives it: `DNS:broker.example, IP Address:10.0.0.1`. */
  altNames?: string | undefined;
}

/** Why the certificate fails: the names it lacks and holds for a host name mismatch, else the reason for `code`. */
function tlsReason(code: string, error: { host?: unknown }, peer: PeerCertificateInfo | undefined): string | undefined {
  if (code !== 'ERR_TLS_CERT_ALTNAME_INVALID') return TLS_REASONS[code];
  const host = typeof error.host === 'string' ? error.host : 'the host it connected to';
  return `its certificate does not name ${host}${peer?.altNames ? `, only ${peer.altNames}` : ''}`;
}

/**
 * A connection failure as the user reads it: a refused login, an untrusted certificate or an unreachable
 * host, each naming the cause; anything else is a lost connection.
 */
export function connectError(error: Error & { code?: unknown }, url: string, peer?: PeerCertificateInfo): GatewayError {
  const code = error.code;
  if (typeof code === 'number' && code > 0) {
    const reason = CONNACK_REASONS[code] ?? `it refused the connection (CONNACK ${code})`;
    return new GatewayError(ErrorCodes.BRIDGE_LOGIN_REFUSED, `upstream ${url} refused the bridge's login: ${reason}`, { connack: code });
  }
  const reason = typeof code === 'string' ? tlsReason(code, error as { host?: unknown }, peer) : undefined;
  if (typeof code === 'string' && reason !== undefined) {
    const who = peer?.subject ? ` (subject ${peer.subject}${peer.issuer ? `, issued by ${peer.issuer}` : ''})` : '';
    return new GatewayError(ErrorCodes.BRIDGE_TLS, `upstream ${url} is not trusted: ${reason}${who} [${code}]; ${TLS_HINTS[code] ?? TRUST_HINT}`, { tls: code });
  }
  if (typeof code === 'string' && code in UNREACHABLE) {
    return new GatewayError(ErrorCodes.BRIDGE_UNREACHABLE, `upstream ${url} cannot be reached: ${UNREACHABLE[code]}`, { errno: code });
  }
  if (error.message === 'connack timeout') {
    return new GatewayError(ErrorCodes.BRIDGE_UNREACHABLE, `upstream ${url} did not answer the MQTT CONNECT in time`);
  }
  return new GatewayError(ErrorCodes.BRIDGE_DISCONNECTED, `connection to upstream ${url} lost: ${error.message}`, typeof code === 'string' ? { errno: code } : undefined);
}
