/**
 * The same outage through two edges, side by side: (a) Mosquitto bridging to Mosquitto, (b) the gateway
 * (`uns-gateway run`) bridging to Mosquitto. The upstream is stopped; 20,000 QoS 1 messages (payload: the
 * sequence number) are published to the edge, at most 100 unacknowledged; after 10,000 acknowledgements
 * the edge is restarted (SIGKILL, then in a second row SIGTERM) on the same port with the same data folder
 * and publishing goes on until every message is acknowledged; then the upstream starts again and a
 * persistent-session subscriber on it collects until it has been quiet for 5 s. Prints, for each edge and
 * restart, what was acknowledged, received, lost, duplicated and out of order, and the drain time.
 *
 *   npm run bench:outage [-- --total 20000 --window 100 --quiet-ms 5000]
 */
import { parseArgs } from 'node:util';
import { findMosquitto } from '../shared/mosquitto-broker.ts';
import { intOption } from '../shared/int-option.ts';
import { fmtInt, fmtNum, fmtPct, formatTable } from '../shared/table.ts';
import { runOutage, type Outcome, type OutageSettings, type Setup } from './scenario.ts';

const { values } = parseArgs({ options: { total: { type: 'string' }, window: { type: 'string' }, 'quiet-ms': { type: 'string' } } });
const mosquittoBin = findMosquitto();
if (mosquittoBin === null) {
  process.stderr.write('bench:outage needs mosquitto on PATH (apt-get install mosquitto)\n');
  process.exit(1);
}
const settings: OutageSettings = {
  mosquittoBin,
  total: intOption(values.total, 20_000, 'total', 2, 10_000_000),
  window: intOption(values.window, 100, 'window', 1, 65_535),
  quietMs: intOption(values['quiet-ms'], 5000, 'quiet-ms', 500, 600_000),
};

const runs: Array<[Setup, NodeJS.Signals]> = [
  ['mosquitto', 'SIGKILL'],
  ['gateway', 'SIGKILL'],
  ['mosquitto', 'SIGTERM'],
  ['gateway', 'SIGTERM'],
];
const outcomes: Outcome[] = [];
for (const [setup, signal] of runs) {
  process.stderr.write(`bench:outage: ${setup}, edge restarted by ${signal} …\n`);
  outcomes.push(await runOutage(setup, signal, settings));
}

const seconds = (ms: number) => `${fmtNum(ms / 1000, 1)} s`;
const table = formatTable(
  ['edge -> upstream', 'edge restart', 'acked by edge', 'received upstream', 'delivered', 'lost', 'duplicates', 'out of order', 'first msg', 'drain'],
  outcomes.map((o) => [
    o.label,
    o.signal,
    fmtInt(o.publish.acked),
    fmtInt(o.received),
    fmtPct((o.publish.acked - o.lost) / o.publish.acked),
    fmtInt(o.lost),
    `${fmtInt(o.duplicates)} (${fmtInt(o.duplicatesOutsideWindow)})`,
    `${fmtInt(o.outOfOrder)} (${fmtInt(o.outOfOrderOutsideWindow)})`,
    seconds(o.firstMs),
    seconds(o.drainMs),
  ]),
  (column) => column > 1,
);
const lines = [
  `${fmtInt(settings.total)} QoS 1 messages on outage/seq, publisher window ${settings.window}, edge restarted after ${fmtInt(Math.floor(settings.total / 2))} acknowledgements, upstream down throughout:`,
  '',
  table,
  '',
  'delivered: the acknowledged messages that reached the upstream at least once.',
  'duplicates (n) / out of order (n): n of them were not in the publisher\'s window at the restart (sent, not yet',
  '  acknowledged, and so published again after it: duplicates the edge cannot tell apart). out of order: a first',
  '  arrival lower than one received before it. first msg / drain: from the upstream\'s start to the first / last',
  `  message at the collector (the ${fmtNum(settings.quietMs / 1000, 1)} s of quiet that ends the run not counted);`,
  '  Mosquitto\'s first message waits for its bridge reconnect backoff, the gateway\'s drain is paced by send.maxRate.',
  '',
  ...outcomes.map(
    (o) =>
      `${o.label}, ${o.signal}: publishing took ${seconds(o.publishMs)}, in flight at the restart ${o.publish.inFlightAtRestart.length} (published again: ${o.publish.resent}), lost ${o.lostRanges.length === 0 ? 'none' : o.lostRanges.slice(0, 6).join(', ') + (o.lostRanges.length > 6 ? ', …' : '')}`,
  ),
  '',
  'Settings: (a) edge mosquitto: persistence true, autosave_interval 1, bridge `connection hq`, `topic outage/# out 1`,',
  '  `cleansession false`; everything else at its defaults, among them max_queued_messages 1000 (what is queued for',
  '  the disconnected bridge beyond it is dropped), max_inflight_messages 20, restart_timeout 5 30 (reconnect backoff).',
  '  (b) gateway bridge: qos 1, reconnect 0.2 … 1 s, statusIntervalS 1, outbox and send at their defaults (outbox',
  '  1,000,000 messages / 256 MB; send.maxRate 2000 msg/s, send.inflight 256), SQLite store durability full.',
  '  Upstream: mosquitto with persistence and max_queued_messages 0 (unbounded), stopped by SIGTERM so that it keeps',
  '  the collector\'s session; the collector (clean session false, QoS 1 on outage/seq) subscribed before the outage',
  '  and resumes its session as soon as the upstream listens again, so what arrives before it is queued, not missed.',
];
for (const o of outcomes.filter((x) => x.notes.length > 0)) {
  lines.push('', `${o.label}, ${o.signal}, the edge's stop and log (warnings and backlog):`, ...o.notes.map((n) => `  ${n}`));
}
process.stdout.write(`${lines.join('\n')}\n`);
process.exit(0);
