import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderErrorTable, withErrorTable } from '../../scripts/error-table.ts';
import { errorCatalogue, ErrorCodes } from '../../shared/errors.ts';

const root = resolve(import.meta.dirname, '../..');
const CATALOGUE = 'shared/errors.ts';

/** Every code released so far, as clients see it: a code may be added, never renamed or removed. */
const RELEASED = [
  'UNS_ERR_CONFIG_INVALID',
  'UNS_ERR_TOPIC_INVALID',
  'UNS_ERR_PORT_IN_USE',
  'UNS_ERR_LISTEN_FAILED',
  'UNS_ERR_USAGE',
  'UNS_ERR_DATA_DIR',
  'UNS_ERR_TLS_FILES',
  'UNS_ERR_PUBLISH_REFUSED',
  'UNS_ERR_PUBLISH_DENIED',
  'UNS_ERR_SUBSCRIBE_DENIED',
  'UNS_ERR_CLIENT_ID_REJECTED',
  'UNS_ERR_WILL_REFUSED',
  'UNS_ERR_ANONYMOUS_EXPOSED',
  'UNS_ERR_PROTOCOL_VIOLATION',
  'UNS_ERR_PACKET_TOO_LARGE',
  'UNS_ERR_CONNECTION_LIMIT',
  'UNS_ERR_CONNECT_TIMEOUT',
  'UNS_ERR_SLOW_SUBSCRIBER',
  'UNS_ERR_QOS0_DROPPED',
  'UNS_ERR_AUTH_FAILED',
  'UNS_ERR_LOGIN_THROTTLED',
  'UNS_ERR_LOGIN_BUSY',
  'UNS_ERR_CLIENT_CERTIFICATE',
  'UNS_ERR_CERTIFICATE_USER',
  'UNS_ERR_TLS_HANDSHAKE',
  'UNS_ERR_SET_PAYLOAD',
  'UNS_ERR_SET_NOT_WRITABLE',
  'UNS_ERR_SET_FORBIDDEN',
  'UNS_ERR_SET_TYPE',
  'UNS_ERR_SET_RANGE',
  'UNS_ERR_SET_UNKNOWN_TAG',
  'UNS_ERR_STORE_OPEN',
  'UNS_ERR_STORE_CORRUPT',
  'UNS_ERR_STORE_READONLY',
  'UNS_ERR_STORE_WRITE',
  'UNS_ERR_STORE_OVER_LIMIT',
  'UNS_ERR_RECOVERY_DROPPED',
  'UNS_ERR_GATEWAY_STOPPED',
  'UNS_ERR_VALUE_STALE',
  'UNS_ERR_MODBUS_TIMEOUT',
  'UNS_ERR_MODBUS_EXCEPTION_<n>',
  'UNS_ERR_MODBUS_CONNECTION',
  'UNS_ERR_MODBUS_NO_ANSWER',
  'UNS_ERR_MODBUS_BAD_RESPONSE',
  'UNS_ERR_OPCUA_CONNECTION',
  'UNS_ERR_OPCUA_UNTRUSTED_SERVER',
  'UNS_ERR_OPCUA_STATUS',
  'UNS_ERR_VALUE_NOT_FINITE',
  'UNS_ERR_WRITE_INVALID',
  'UNS_ERR_WRITE_FAILED',
  'UNS_ERR_WORKER_CRASHED',
];

/** The code as the README shows it: a family with its suffix. */
const shown = Object.values(errorCatalogue).map((entry) => ('suffix' in entry ? `${entry.code}_${entry.suffix}` : entry.code));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|js|mjs)$/.test(entry.name) ? [relative(root, path)] : [];
  });
}

describe('the error catalogue', () => {
  it('is the README table (run `npm run errors` after changing shared/errors.ts)', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(readme).toBe(withErrorTable(readme));
    expect(renderErrorTable().split('\n')).toHaveLength(2 + Object.keys(errorCatalogue).length);
  });

  it('names each code UNS_ERR_ and its key, and gives each one meaning on one line', () => {
    for (const [name, entry] of Object.entries(errorCatalogue)) {
      expect(entry.code).toBe(`UNS_ERR_${name}`);
      expect(ErrorCodes[name as keyof typeof ErrorCodes]).toBe(entry.code);
      expect(entry.meaning, name).toMatch(/^[^\n|]{20,}\.$/);
    }
    expect(new Set(Object.values(ErrorCodes)).size).toBe(Object.keys(errorCatalogue).length);
  });

  it('keeps every released code with its string', () => {
    expect(RELEASED.filter((code) => !shown.includes(code))).toEqual([]);
  });

  it('holds the only UNS_ERR_ literals outside the tests', () => {
    const files = ['src', 'connectors', 'shared', 'schemas', 'scripts', 'bench', 'bin'].flatMap((dir) => sourceFiles(join(root, dir)));
    expect(files).toContain(CATALOGUE);
    const literals = files
      .filter((file) => file !== CATALOGUE)
      .flatMap((file) => (readFileSync(join(root, file), 'utf8').match(/['"`]UNS_ERR_\w*/g) ?? []).map((literal) => `${file}: ${literal}`));
    expect(literals).toEqual([]);
  });

  it('imports nothing, so that both sides of the thread boundary may import it', () => {
    expect(readFileSync(join(root, CATALOGUE), 'utf8')).not.toMatch(/^import /m);
  });
});
