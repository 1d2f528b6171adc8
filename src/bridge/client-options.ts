import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { IClientOptions } from 'mqtt';
import type { BridgeConfig } from '../../schemas/bridge.ts';
import { readSecret } from './secrets.ts';

/** The client id a bridge connects with: `clientId`, or `<gateway id>-<bridge name>`. */
export function bridgeClientId(config: BridgeConfig, gatewayId: string): string {
  return config.clientId ?? `${gatewayId}-${config.name}`;
}

/** MQTT.js options for a connection to a bridge's upstream: credentials, TLS and keep-alive (no will). */
export function upstreamClientOptions(config: BridgeConfig, clientId: string, configDir: string): IClientOptions {
  const file = (path: string) => readFileSync(resolve(configDir, path));
  const tls = config.tls;
  return {
    clientId,
    username: config.username,
    password: config.password && readSecret(config.password, configDir, `bridges "${config.name}" password`),
    keepalive: config.keepaliveS,
    connectTimeout: 10_000,
    ...(tls === undefined
      ? {}
      : {
          ca: tls.ca === undefined ? undefined : file(tls.ca),
          cert: tls.cert === undefined ? undefined : file(tls.cert),
          key: tls.key === undefined ? undefined : file(tls.key),
          rejectUnauthorized: tls.verifyServer,
          servername: tls.servername,
        }),
  };
}
