import { loadConfig } from '../config/load.ts';
import { ConfigError } from '../config/issues.ts';
import { deviceStatusTopic, gatewayStatusTopic } from '../uns/topic.ts';

/** Checks the config and every mapping file; prints the topics it would publish. Returns the exit code. */
export function validateCommand(configPath: string): number {
  let config;
  try {
    config = loadConfig(configPath);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 1;
  }
  const out: string[] = [];
  out.push(`${config.file}: valid (${config.mappingFiles.length} mapping files, ${config.devices.length} devices, ${config.tags.length} tags)`);
  for (const listener of config.gateway.broker.listeners) {
    const path = 'path' in listener ? listener.path : '';
    out.push(`listener  ${listener.protocol}://${listener.host}:${listener.port}${path}`);
  }
  out.push('topics:');
  out.push(`  ${gatewayStatusTopic(config.gateway.id)}  (retained, online/offline)`);
  for (const device of config.devices) {
    out.push(`  ${deviceStatusTopic(config.gateway.id, device.config.name)}  (retained, device status)`);
  }
  for (const tag of config.tags) {
    const unit = tag.unit === undefined ? '' : `, ${tag.unit}`;
    out.push(`  ${tag.topic}  (retained, qos ${tag.qos}, ${tag.id}${unit})`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}
