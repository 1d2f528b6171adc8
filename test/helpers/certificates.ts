import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A self-signed certificate for 127.0.0.1/localhost, made with the openssl command line. */
export function selfSignedCertificate(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout', key, '-out', cert,
  ], { stdio: 'ignore' });
  return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
}

export interface CertificateAndKey {
  cert: string;
  key: string;
}

export interface IssueOptions {
  /** Subject alternative names in openssl's form: `DNS:plc.example`, `email:alice@example.com`, `IP:127.0.0.1`. */
  san?: string[];
  /** A server certificate (serverAuth) rather than a client one (clientAuth). */
  server?: boolean;
}

export interface CertificateAuthority {
  /** The CA certificate (PEM): what a listener's `ca` file holds. */
  cert: string;
  /** A certificate for `commonName`, signed by this CA. */
  issue(commonName: string, options?: IssueOptions): CertificateAndKey;
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A CA made with the openssl command line (P-256 keys: fast), which signs client and server certificates. */
export function certificateAuthority(dir: string, name = 'Test CA'): CertificateAuthority {
  const work = mkdtempSync(join(dir, 'ca-'));
  const caCert = join(work, 'ca.pem');
  const caKey = join(work, 'ca.key');
  execFileSync('openssl', [
    'req', '-x509', ...EC_KEY, '-days', '2', '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout', caKey, '-out', caCert,
  ], { stdio: 'ignore' });
  let serial = 0;
  return {
    cert: readFileSync(caCert, 'utf8'),
    issue(commonName, options = {}) {
      serial++;
      const base = join(work, `issued-${serial}`);
      const extensions = [
        'basicConstraints=CA:FALSE',
        `extendedKeyUsage=${options.server ? 'serverAuth' : 'clientAuth'}`,
        ...(options.san?.length ? [`subjectAltName=${options.san.join(',')}`] : []),
      ];
      writeFileSync(`${base}.ext`, `${extensions.join('\n')}\n`);
      execFileSync('openssl', ['req', ...EC_KEY, '-subj', `/CN=${commonName}`, '-keyout', `${base}.key`, '-out', `${base}.csr`], { stdio: 'ignore' });
      execFileSync('openssl', [
        'x509', '-req', '-in', `${base}.csr`, '-CA', caCert, '-CAkey', caKey, '-set_serial', String(serial),
        '-days', '1', '-extfile', `${base}.ext`, '-out', `${base}.pem`,
      ], { stdio: 'ignore' });
      return { cert: readFileSync(`${base}.pem`, 'utf8'), key: readFileSync(`${base}.key`, 'utf8') };
    },
  };
}
