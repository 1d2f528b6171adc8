import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCodes } from '../../shared/errors.ts';
import { ConnectorError } from '../errors.ts';

/** node-opcua names a rejected certificate `<common name>[<sha1 thumbprint>].pem`. */
const THUMBPRINT_IN_NAME = /\[([0-9a-f]{40})\]\.(?:pem|der)$/i;

export interface CertificateEntry {
  file: string;
  name: string;
  thumbprint: string;
}

export function listCertificates(folder: string): CertificateEntry[] {
  let files: string[];
  try {
    files = readdirSync(folder);
  } catch {
    return [];
  }
  return files.flatMap((name) => {
    const match = THUMBPRINT_IN_NAME.exec(name);
    return match?.[1] ? [{ file: join(folder, name), name: name.replace(THUMBPRINT_IN_NAME, ''), thumbprint: match[1].toLowerCase() }] : [];
  });
}

/**
 * The error for a server certificate the client does not trust: it names the certificate and the
 * command that trusts it, rather than node-opcua's BadCertificateUntrusted alone.
 */
export function untrustedServerError(pkiDir: string, endpoint: string): ConnectorError {
  const rejected = listCertificates(join(pkiDir, 'rejected')).sort((a, b) => statSync(b.file).mtimeMs - statSync(a.file).mtimeMs)[0];
  const which = rejected ? `certificate ${rejected.thumbprint} ("${rejected.name}")` : 'certificate';
  const command = rejected ? `uns-gateway pki trust ${rejected.thumbprint}` : 'uns-gateway pki list';
  return new ConnectorError(
    ErrorCodes.OPCUA_UNTRUSTED_SERVER,
    `the server ${which} at ${endpoint} is not trusted (BadCertificateUntrusted); if it is the right server, run: ${command}`,
  );
}

export function isUntrusted(error: unknown): boolean {
  return /BadCertificateUntrusted|BadSecurityChecksFailed/.test(error instanceof Error ? error.message : String(error));
}
