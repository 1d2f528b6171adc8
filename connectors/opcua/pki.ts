import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readCertificate } from 'node-opcua-crypto';
import { certificateManager } from './session.ts';
import { listCertificates, type CertificateEntry } from './trust.ts';

export interface PkiListing {
  pkiDir: string;
  trusted: CertificateEntry[];
  rejected: CertificateEntry[];
}

export function listPki(pkiDir: string): PkiListing {
  return { pkiDir, trusted: listCertificates(join(pkiDir, 'trusted', 'certs')), rejected: listCertificates(join(pkiDir, 'rejected')) };
}

/**
 * Trusts a server certificate in a PKI folder: `target` is a certificate file, or the thumbprint of a
 * certificate the gateway rejected. Returns the thumbprint trusted, or undefined when nothing matched.
 */
export async function trustCertificate(pkiDir: string, target: string): Promise<string | undefined> {
  let file: string | undefined;
  if (existsSync(target)) file = target;
  else {
    const thumbprint = target.replace(/:/g, '').toLowerCase();
    file = listCertificates(join(pkiDir, 'rejected')).find((entry) => entry.thumbprint === thumbprint)?.file;
  }
  if (!file) return undefined;
  const manager = await certificateManager(pkiDir, false);
  try {
    const certificate = readCertificate(file);
    await manager.trustCertificate(certificate);
    return (await import('node-opcua-crypto')).makeSHA1Thumbprint(certificate).toString('hex');
  } finally {
    await manager.dispose();
  }
}
