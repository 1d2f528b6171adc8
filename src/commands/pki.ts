import { resolve } from 'node:path';
import type { Pki } from '../../connectors/protocol.ts';
import { protocolOf, protocols } from '../../connectors/registry.ts';
import type { DeviceConfig } from '../../schemas/mapping.ts';
import { ConfigError } from '../config/issues.ts';
import { loadConfig } from '../config/load.ts';

/** The PKI folders of every device in the config whose protocol has them, absolute, without duplicates. */
function pkiFolders(configPath: string): Map<string, Pki<DeviceConfig>> {
  const config = loadConfig(configPath);
  const folders = new Map<string, Pki<DeviceConfig>>();
  for (const { config: device } of config.devices) {
    const pki = protocolOf(device.protocol).pki;
    if (pki) folders.set(resolve(config.dataDir, pki.dir(device)), pki);
  }
  return folders;
}

/** `pki list` and `pki trust <file|thumbprint>`: the server certificates devices trust. */
export async function pkiCommand(configPath: string, args: string[]): Promise<number> {
  let folders: Map<string, Pki<DeviceConfig>>;
  try {
    folders = pkiFolders(configPath);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 1;
  }
  if (folders.size === 0) {
    const labels = protocols.flatMap((protocol) => (protocol.pki ? [protocol.label] : []));
    process.stderr.write(`no ${labels.join(' or ')} device in the config, so no PKI folder\n`);
    return 1;
  }
  const [action, target] = args;
  if (action === 'list' && target === undefined) {
    for (const [dir, pki] of folders) {
      const { trusted, rejected } = (await pki.load()).listPki(dir);
      process.stdout.write(`${dir}\n`);
      for (const entry of trusted) process.stdout.write(`  trusted   ${entry.thumbprint}  ${entry.name}\n`);
      for (const entry of rejected) process.stdout.write(`  rejected  ${entry.thumbprint}  ${entry.name}\n`);
      if (trusted.length + rejected.length === 0) process.stdout.write('  (no server certificates yet)\n');
    }
    return 0;
  }
  if (action === 'trust' && target !== undefined) {
    let trustedAny = false;
    for (const [dir, pki] of folders) {
      const thumbprint = await (await pki.load()).trustCertificate(dir, target);
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
