/**
 * The one catalogue of UNS_ERR_* codes, each with what happened and what to do, and the shape an
 * error has wherever it leaves the code that raised it: a MessagePort, a `/set/result`, a device
 * status, a log line. The main thread (src/) and the connector workers (connectors/) both import it,
 * so it imports nothing. A code never changes its string once released. The README's table of codes
 * is generated from this file: `npm run errors`.
 */

interface CatalogueEntry {
  readonly code: string;
  /** One line for the README: what happened, and what the user should do. */
  readonly meaning: string;
  /** A family of codes: the code is always sent with this suffix, as in UNS_ERR_MODBUS_EXCEPTION_2. */
  readonly suffix?: string;
}

export const errorCatalogue = {
  CONFIG_INVALID: {
    code: 'UNS_ERR_CONFIG_INVALID',
    meaning: 'The config or a mapping file has errors, each listed with its file, line and column: fix them (`uns-gateway validate` checks without starting).',
  },
  TOPIC_INVALID: {
    code: 'UNS_ERR_TOPIC_INVALID',
    meaning: 'A topic level (site, area, asset or tag name) is empty, too long or holds a character topics may not hold: rename it in the mapping.',
  },
  USAGE: {
    code: 'UNS_ERR_USAGE',
    meaning: 'The command line is wrong (an unknown command, a bad option value): see `uns-gateway --help`. Exit code 2.',
  },
  PORT_IN_USE: {
    code: 'UNS_ERR_PORT_IN_USE',
    meaning: 'A broker listener, the HTTP listener (`http.port`) or the demo simulator cannot listen: another program holds its port. Stop that program or change the port the message names.',
  },
  LISTEN_FAILED: {
    code: 'UNS_ERR_LISTEN_FAILED',
    meaning: 'A broker listener, the HTTP listener or the demo simulator cannot listen for another reason (an address not on this machine, no permission): change the setting the message names.',
  },
  DATA_DIR: {
    code: 'UNS_ERR_DATA_DIR',
    meaning: '`store.dataDir` cannot be created, or is a file: point it at a folder the gateway may write.',
  },
  TLS_FILES: {
    code: 'UNS_ERR_TLS_FILES',
    meaning: 'A TLS listener\'s key, certificate or ca file cannot be read: check the path and its permissions.',
  },
  ANONYMOUS_EXPOSED: {
    code: 'UNS_ERR_ANONYMOUS_EXPOSED',
    meaning: 'Warning at start: a listener reachable from the network accepts anonymous clients. Set `allowAnonymous: false` on it, or bind it to a loopback address.',
  },
  AUTH_FAILED: {
    code: 'UNS_ERR_AUTH_FAILED',
    meaning: 'A CONNECT was refused: a bad username or password (CONNACK 4), or no username where the listener needs one (CONNACK 5). Check the client\'s credentials.',
  },
  LOGIN_THROTTLED: {
    code: 'UNS_ERR_LOGIN_THROTTLED',
    meaning: 'A login was refused with CONNACK 4, its password unchecked: its address has failed three times or more, and another of its logins still waits. Check the credentials used from that address.',
  },
  LOGIN_BUSY: {
    code: 'UNS_ERR_LOGIN_BUSY',
    meaning: 'A login was refused with CONNACK 3 (server unavailable), its password unchecked: 16 password checks were waiting already. Connect again later; many of these point to a flood of logins.',
  },
  CLIENT_ID_REJECTED: {
    code: 'UNS_ERR_CLIENT_ID_REJECTED',
    meaning: 'A CONNECT was refused with CONNACK 2: an empty client id with clean session off [MQTT-3.1.3-8], or a client id of another user (`access.bindClientIds`). Use a client id the user owns.',
  },
  WILL_REFUSED: {
    code: 'UNS_ERR_WILL_REFUSED',
    meaning: 'A CONNECT was refused with CONNACK 5: its will is on a topic the client may not publish to. Move the will, or let the role publish there.',
  },
  CLIENT_CERTIFICATE: {
    code: 'UNS_ERR_CLIENT_CERTIFICATE',
    meaning: 'A TLS connection was closed before MQTT: no client certificate where the listener requires one, or one its ca did not sign. Give the client a certificate signed by that ca.',
  },
  CERTIFICATE_USER: {
    code: 'UNS_ERR_CERTIFICATE_USER',
    meaning: 'A CONNECT was refused with CONNACK 5: the client certificate names no configured user, or not the CONNECT username. Check `certificateUsername` (cn or san) and `access.users`.',
  },
  TLS_HANDSHAKE: {
    code: 'UNS_ERR_TLS_HANDSHAKE',
    meaning: 'A TLS handshake failed, or did not finish within `broker.connectTimeoutMs`: check the client\'s TLS settings (its ca, the server name, the TLS version).',
  },
  PUBLISH_REFUSED: {
    code: 'UNS_ERR_PUBLISH_REFUSED',
    meaning: 'A client published where no client may (`_…`, `$…`, a tag\'s value topic) and was disconnected [MQTT-3.3.5-2]. To write a tag, publish to `<tag topic>/set`.',
  },
  PUBLISH_DENIED: {
    code: 'UNS_ERR_PUBLISH_DENIED',
    meaning: 'A publish the client\'s roles do not allow was dropped: delivered to no one, retained nowhere. Allow it in `access.roles`, or publish elsewhere.',
  },
  SUBSCRIBE_DENIED: {
    code: 'UNS_ERR_SUBSCRIBE_DENIED',
    meaning: 'A subscription the client\'s roles do not allow got return code 0x80: allow it in `access.roles`, or subscribe to a narrower filter.',
  },
  PROTOCOL_VIOLATION: {
    code: 'UNS_ERR_PROTOCOL_VIOLATION',
    meaning: 'A client broke an MQTT 3.1.1 rule (bad UTF-8, packet id 0, a misplaced wildcard, …) and its connection was closed: fix the client.',
  },
  PACKET_TOO_LARGE: {
    code: 'UNS_ERR_PACKET_TOO_LARGE',
    meaning: 'A packet over `broker.maxPacketBytes` (`broker.maxConnectBytes` before the connection is accepted) closed its connection: send smaller packets, or raise the limit.',
  },
  CONNECTION_LIMIT: {
    code: 'UNS_ERR_CONNECTION_LIMIT',
    meaning: 'A connection was refused: `broker.maxConnections` connections are open. Close idle clients, or raise the limit.',
  },
  CONNECT_TIMEOUT: {
    code: 'UNS_ERR_CONNECT_TIMEOUT',
    meaning: 'A connection sent no CONNECT within `broker.connectTimeoutMs` and was closed: check that the client speaks MQTT on that port.',
  },
  SLOW_SUBSCRIBER: {
    code: 'UNS_ERR_SLOW_SUBSCRIBER',
    meaning: 'A subscriber read too slowly and was disconnected (`broker.slowSubscriber.disconnectBytes`/`disconnectMessages`); a persistent session keeps its QoS 1/2 messages.',
  },
  QOS0_DROPPED: {
    code: 'UNS_ERR_QOS0_DROPPED',
    meaning: 'QoS 0 messages to a slow subscriber were dropped (`broker.slowSubscriber.dropQos0Bytes`/`dropQos0Messages`): subscribe with QoS 1, or read faster.',
  },
  SET_PAYLOAD: {
    code: 'UNS_ERR_SET_PAYLOAD',
    meaning: 'A `/set` payload is neither `{"value": …, "id": "…"}` nor a bare JSON value: fix the payload.',
  },
  SET_UNKNOWN_TAG: {
    code: 'UNS_ERR_SET_UNKNOWN_TAG',
    meaning: 'A `/set` on a topic no tag is mapped to: check the topic (`uns-gateway validate` lists them).',
  },
  SET_NOT_WRITABLE: {
    code: 'UNS_ERR_SET_NOT_WRITABLE',
    meaning: 'A `/set` on a tag not mapped `writable: true`: map it writable if the PLC should take writes.',
  },
  SET_FORBIDDEN: {
    code: 'UNS_ERR_SET_FORBIDDEN',
    meaning: 'A `/set` from a client whose roles may not write that tag: allow it in `access.roles[].write` (`access.users[].write` for a user without roles).',
  },
  SET_TYPE: {
    code: 'UNS_ERR_SET_TYPE',
    meaning: 'A `/set` value of the wrong kind for the tag (a string for a number, a fraction for an integer, …): send the tag\'s type.',
  },
  SET_RANGE: {
    code: 'UNS_ERR_SET_RANGE',
    meaning: 'A `/set` value outside the tag\'s `min` … `max`: send a value within them.',
  },
  WRITE_INVALID: {
    code: 'UNS_ERR_WRITE_INVALID',
    meaning: 'The connector refused a write: the value does not fit the tag\'s register or OPC UA DataType after scaling. Send a value that type can hold.',
  },
  WRITE_FAILED: {
    code: 'UNS_ERR_WRITE_FAILED',
    meaning: 'A write did not complete: no answer from the connector within 10 s, or a failure with no more precise code. The message says why; nothing confirms the PLC took it.',
  },
  WORKER_CRASHED: {
    code: 'UNS_ERR_WORKER_CRASHED',
    meaning: 'A connector worker exited: its devices\' tags are bad and their status `error`, it restarts with backoff, and writes meanwhile fail with this code. The log says why it exited.',
  },
  VALUE_NOT_FINITE: {
    code: 'UNS_ERR_VALUE_NOT_FINITE',
    meaning: 'Value status `bad`: the device gave NaN or an infinity, which JSON cannot carry. If every read gives one, check the tag\'s data type and byte order.',
  },
  GATEWAY_STOPPED: {
    code: 'UNS_ERR_GATEWAY_STOPPED',
    meaning: 'Value status `uncertain`: the value the gateway held when it stopped cleanly, not read since.',
  },
  TAG_REMOVED: {
    code: 'UNS_ERR_TAG_REMOVED',
    meaning: 'Value status `bad`: the tag was removed from the mapping by a reload (`reload.removedTags: bad`); the value is the last one published.',
  },
  CONFIG_REJECTED: {
    code: 'UNS_ERR_CONFIG_REJECTED',
    meaning: 'A changed configuration failed validation at a reload: the running configuration stays, and the errors (file:line) are logged and on `_gateway/<id>/config/status`.',
  },
  CONFIG_RESTART_REQUIRED: {
    code: 'UNS_ERR_CONFIG_RESTART_REQUIRED',
    meaning: 'A reload found changes outside the mapping files (listeners, store, access, bridges, Sparkplug, namespace, …): nothing of that reload was applied; restart the gateway to apply it.',
  },
  VALUE_STALE: {
    code: 'UNS_ERR_VALUE_STALE',
    meaning: 'Value status `uncertain`: a value retained from before this start of the gateway (a crash left it `good`), not read again yet.',
  },
  MODBUS_TIMEOUT: {
    code: 'UNS_ERR_MODBUS_TIMEOUT',
    meaning: 'A Modbus request got no reply within the device\'s timeout; three in a row mark every tag of the device bad and reconnect. Check the device, its unit id and the line.',
  },
  MODBUS_EXCEPTION: {
    code: 'UNS_ERR_MODBUS_EXCEPTION',
    suffix: '<n>',
    meaning: 'The device answered with Modbus exception `<n>` (1 illegal function, 2 illegal data address, 3 illegal data value, 4 device failure): check the table and address in the mapping, or the value written.',
  },
  MODBUS_CONNECTION: {
    code: 'UNS_ERR_MODBUS_CONNECTION',
    meaning: 'The Modbus connection cannot be opened or was lost: every tag of the device is bad, and it reconnects with backoff. Check the host and port, or the serial line.',
  },
  MODBUS_NO_ANSWER: {
    code: 'UNS_ERR_MODBUS_NO_ANSWER',
    meaning: 'The port opens, but no Modbus answer comes back: check that the device speaks Modbus over the configured transport, its unit id, and the port or line settings.',
  },
  MODBUS_BAD_RESPONSE: {
    code: 'UNS_ERR_MODBUS_BAD_RESPONSE',
    meaning: 'Replies that are not valid Modbus (length, CRC, unexpected data): check that the port serves Modbus, over the transport type configured (tcp or rtu-over-tcp).',
  },
  OPCUA_CONNECTION: {
    code: 'UNS_ERR_OPCUA_CONNECTION',
    meaning: 'The OPC UA connection, session or subscription failed, was lost or went silent: every tag of the device is bad, and it reconnects with backoff. Check the endpoint and the server.',
  },
  OPCUA_UNTRUSTED_SERVER: {
    code: 'UNS_ERR_OPCUA_UNTRUSTED_SERVER',
    meaning: 'The OPC UA server\'s certificate is not trusted: if it is the right server, run the `uns-gateway pki trust <thumbprint>` the message gives.',
  },
  OPCUA_STATUS: {
    code: 'UNS_ERR_OPCUA_STATUS',
    meaning: 'The OPC UA server refused a write or a browse with the StatusCode the message names (`BadNotWritable`, `BadNodeIdUnknown`, …): check the node id and the server\'s access rights.',
  },
  STORE_OPEN: {
    code: 'UNS_ERR_STORE_OPEN',
    meaning: 'The store file cannot be opened, and it is neither corrupt nor read-only: the message gives SQLite\'s reason.',
  },
  STORE_CORRUPT: {
    code: 'UNS_ERR_STORE_CORRUPT',
    meaning: 'The store file is not a valid SQLite database: move it aside, and the gateway starts with an empty store.',
  },
  STORE_READONLY: {
    code: 'UNS_ERR_STORE_READONLY',
    meaning: 'The store file or its folder cannot be written: check their permissions and the free space.',
  },
  STORE_WRITE: {
    code: 'UNS_ERR_STORE_WRITE',
    meaning: 'A store write failed while the gateway runs (a full disk, a file no longer writable): it goes on, tries again, and logs when the store is writable again.',
  },
  STORE_OVER_LIMIT: {
    code: 'UNS_ERR_STORE_OVER_LIMIT',
    meaning: 'The store is over `store.maxSizeMB` with no queued message left to drop (retained values, sessions and wills are kept): raise `store.maxSizeMB`.',
  },
  RECOVERY_DROPPED: {
    code: 'UNS_ERR_RECOVERY_DROPPED',
    meaning: 'At start, a stored message (retained, queued or a will) that today\'s rules refuse was dropped and counted; the start goes on.',
  },
  BRIDGE_LOGIN_REFUSED: {
    code: 'UNS_ERR_BRIDGE_LOGIN_REFUSED',
    meaning: 'The upstream broker refused the bridge\'s login (CONNACK 4 or 5, or another refusal the message names): check `bridges[].username`, the password its env or file holds, and the upstream\'s rights for the client id. The bridge retries with backoff.',
  },
  BRIDGE_TLS: {
    code: 'UNS_ERR_BRIDGE_TLS',
    meaning: 'The upstream\'s TLS certificate is not trusted or does not name the host (the message says which and why): set `bridges[].tls.ca` to the CA that signed it; for a host name the certificate lacks, use one it holds in the URL, or `bridges[].tls.servername`.',
  },
  BRIDGE_UNREACHABLE: {
    code: 'UNS_ERR_BRIDGE_UNREACHABLE',
    meaning: 'The upstream broker cannot be reached (refused, no route, name not found, no answer in time): messages wait in the outbox and the bridge retries with backoff.',
  },
  BRIDGE_DISCONNECTED: {
    code: 'UNS_ERR_BRIDGE_DISCONNECTED',
    meaning: 'The connection to the upstream broker was lost: messages wait in the outbox and are sent in order once it is back; those in flight are sent again.',
  },
  BRIDGE_DROPPED: {
    code: 'UNS_ERR_BRIDGE_DROPPED',
    meaning: 'A bridge\'s outbox reached a bound (`outbox.maxMessages`, `maxSizeMB` or `maxAgeS`) and dropped its oldest messages, counted by bound on its status topic: raise the bound or restore the link.',
  },
  BRIDGE_SECRET: {
    code: 'UNS_ERR_BRIDGE_SECRET',
    meaning: 'A bridge\'s password reference cannot be read at start (the environment variable is not set, the file cannot be read): set it, and the gateway starts.',
  },
  BRIDGE_INSECURE: {
    code: 'UNS_ERR_BRIDGE_INSECURE',
    meaning: 'Warning at start: a bridge has `tls.verifyServer: false` and would send to any server that answers. Only for a test bench.',
  },
} as const satisfies Record<string, CatalogueEntry>;

type Catalogue = typeof errorCatalogue;
type FamilyKey = { [K in keyof Catalogue]: Catalogue[K] extends { suffix: string } ? K : never }[keyof Catalogue];

/** Each catalogue code by its name, as in `ErrorCodes.SET_RANGE`; a family's code is its prefix. */
export const ErrorCodes = Object.freeze(Object.fromEntries(Object.entries(errorCatalogue).map(([name, entry]) => [name, entry.code]))) as {
  readonly [K in keyof Catalogue]: Catalogue[K]['code'];
};

/** A code the gateway sends: one of the catalogue, or a family's code with its suffix. */
export type ErrorCode = Catalogue[Exclude<keyof Catalogue, FamilyKey>]['code'] | `${Catalogue[FamilyKey]['code']}_${number}`;

/**
 * An error as it leaves the code that raised it: across a MessagePort (an Error subclass would arrive
 * in a worker as a plain Error), in a `/set/result` or a device status, in a log line.
 */
export interface WireError {
  code: ErrorCode;
  message: string;
  details?: unknown;
}
