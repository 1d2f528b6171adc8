import { PlantListenError } from '../connectors/simulator/listen-error.ts';
import { ErrorCodes } from '../shared/errors.ts';
import { GatewayError } from './errors.ts';

/** Where the user set the demo plant's address and ports: config keys, or command-line flags. */
export interface PlantSettingNames {
  host: string;
  modbus: string;
  opcua: string;
}

const SERVER_LABEL = { modbus: 'Modbus TCP', opcua: 'OPC UA' } as const;

/** A demo server that could not listen, as a GatewayError that names the setting to change; other errors as they are. */
export function plantStartError(error: unknown, names: PlantSettingNames): unknown {
  if (!(error instanceof PlantListenError)) return error;
  const setting = names[error.server];
  const where = `simulator ${SERVER_LABEL[error.server]} ${error.host}:${error.port} (${setting})`;
  const details = { server: error.server, host: error.host, port: error.port };
  if (error.errno === 'EADDRINUSE') {
    return new GatewayError(
      ErrorCodes.PORT_IN_USE,
      `${where}: port ${error.port} is already in use; stop the other program (another simulator or gateway?) or change ${setting}`,
      details,
    );
  }
  if (error.errno === 'EADDRNOTAVAIL') {
    return new GatewayError(ErrorCodes.LISTEN_FAILED, `${where}: ${error.host} is not an address of this machine; change ${names.host}`, details);
  }
  return new GatewayError(ErrorCodes.LISTEN_FAILED, `${where}: ${error.reason}`, details);
}
