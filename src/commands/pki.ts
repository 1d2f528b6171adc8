import { resolve } from 'node:path';
import { ConfigError } from '../config/issues.ts';
import { loadConfig } from '../config/load.ts';

/** The PKI folders of every OPC UA device in the config, absolute, without duplicates. */
function pkiDirs(configPath: string): string[] {
  const config = loadConfig(configPath);
  const dirs = config.devices.flatMap((device) => (device.config.protocol === 'opcua' ? [resolve(config.dataDir, device.config.pkiDir)] : []));
  return [...new Set(dirs)];
}

/** `pki list` and `pki trust <file|thumbprint>`: the server certificates OPC UA devices trust. */
export async function pkiCommand(configPath: string, args: string[]): Promise<number> {
  let dirs: string[];
  try {
    dirs = pkiDirs(configPath);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 1;
  }
  if (dirs.length === 0) {
    process.stderr.write('no OPC UA device in the config, so no PKI folder\n');
    return 1;
  }
  const { listPki, trustCertificate } = await import('../../connectors/opcua/pki.ts');
  const [action, target] = args;
  if (action === 'list' && target === undefined) {
    for (const dir of dirs) {
      const { trusted, rejected } = listPki(dir);
      process.stdout.write(`${dir}\n`);
      for (const entry of trusted) process.stdout.write(`  trusted   ${entry.thumbprint}  ${entry.name}\n`);
      for (const entry of rejected) process.stdout.write(`  rejected  ${entry.thumbprint}  ${entry.name}\n`);
      if (trusted.length + rejected.length === 0) process.stdout.write('  (no server certificates yet)\n');
    }
    return 0;
  }
  if (action === 'trust' && target !== undefined) {
    let trustedAny = false;
    for (const dir of dirs) {
      const thumbprint = await trustCertificate(dir, target);
      if (thumbprint) {
        trustedAny = true;
        process.stdout.write(`trusted ${thumbprint} in ${dir}\n`);
      }
    }
    if (!trustedAny) process.stderr.write(`no certificate file or rejected certificate matches "${target}" (see: uns-gateway pki list)\n`);
    return trustedAny ? 0 : 1;
  }
  process.stderr.write('usage: uns-gateway pki list | pki trust <certificate file | thumbprint>\n');
  return 2;
}
