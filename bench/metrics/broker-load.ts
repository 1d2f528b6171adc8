/** The bench:broker load (QoS 0 fan-in, QoS 1 round trips) on a gateway with metrics off and one with metrics on. */
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { runPhase } from '../broker/run-phase.ts';
import type { LoadConfig, PhaseName } from '../broker/protocol.ts';
import { makeTempDir, removeTempDir } from '../shared/cleanup.ts';
import { gatewayConfigYaml } from '../shared/gateway-broker.ts';
import { cpuUsPerMessage, modesOfRun, type Measurement } from './measurement.ts';
import { startModeGateway, type Mode, type ModeGateway } from './mode-gateway.ts';
import type { Options } from './options.ts';
import { scrapeCpuMs } from './scrape-cost.ts';
import { Scraper } from './scraper.ts';

const SETUP_TIMEOUT_MS = 30_000;
const PHASE_TIMEOUT_MS = 60_000;
const PHASES: ReadonlyArray<{ phase: PhaseName; what: string }> = [
  { phase: 'fanin', what: 'broker QoS 0 fan-in' },
  { phase: 'rtt', what: 'broker QoS 1 round trip' },
];

function loadConfig(options: Options, phase: PhaseName, port: number, tag: string): LoadConfig {
  const fanin = phase === 'fanin';
  const messages = fanin ? options.messages : options.rttMessages;
  return {
    phase,
    host: '127.0.0.1',
    port,
    messages,
    warmup: Math.min(fanin ? 20_000 : 500, Math.ceil(messages / 10)),
    publishers: options.publishers,
    topicsPerPublisher: 1,
    payloadBytes: 64,
    window: fanin ? 2000 : 1,
    timeoutMs: PHASE_TIMEOUT_MS,
    idleMs: 2000,
    topicPrefix: `bench/${tag}`,
  };
}

type PhaseMeasurement = Omit<Measurement, 'what' | 'mode' | 'run' | 'unscraped' | 'scrapeCpuMs'>;

/** One phase on `gateway`, scraped when `scrapeMs` is given. */
async function phaseRun(options: Options, gateway: ModeGateway, phase: PhaseName, tag: string, scrapeMs: number | undefined): Promise<PhaseMeasurement> {
  const scraper = gateway.httpPort === undefined || scrapeMs === undefined ? undefined : new Scraper(gateway.httpPort, scrapeMs);
  const { result, brokerCpuSec, hostCpuSec, messages } = await runPhase(gateway, loadConfig(options, phase, gateway.port, tag), SETUP_TIMEOUT_MS);
  await scraper?.stop();
  if (scraper && scraper.failures > 0) throw new Error(`${scraper.failures} scrapes of /metrics failed`);
  const seconds = result.elapsedMs / 1000;
  const otherCores = (hostCpuSec - brokerCpuSec - result.loadgenCpuMs / 1000) / seconds;
  return { cpuSeconds: brokerCpuSec, seconds, messages, otherCores, scrapes: scraper?.scrapes ?? 0, scrapeBytes: scraper?.bytes ?? 0 };
}

/** Two runs of a phase as one. */
function sum(a: PhaseMeasurement, b: PhaseMeasurement): PhaseMeasurement {
  const seconds = a.seconds + b.seconds;
  return {
    cpuSeconds: a.cpuSeconds + b.cpuSeconds,
    seconds,
    messages: a.messages + b.messages,
    otherCores: (a.otherCores * a.seconds + b.otherCores * b.seconds) / seconds,
    scrapes: a.scrapes + b.scrapes,
    scrapeBytes: a.scrapeBytes + b.scrapeBytes,
  };
}

/**
 * One gateway in `mode`, fresh, on a temp dir: each phase four times, A B B A. The second and third are
 * the measurement, scraped with metrics on; with metrics on the first and fourth, unscraped, are the same
 * process without scrapes, a drift over the four cancelling out. Then the scrape's own cost.
 */
async function measure(options: Options, mode: Mode, run: number, progress: (line: string) => void): Promise<Measurement[]> {
  const dir = makeTempDir(`uns-bench-metrics-${mode}-`);
  const configFile = path.join(dir, 'gateway.yaml');
  writeFileSync(configFile, gatewayConfigYaml(path.join(dir, 'data')));
  const gateway = await startModeGateway(configFile, mode);
  try {
    const measured: Measurement[] = [];
    for (const { phase, what } of PHASES) {
      const once = (step: number, scrapeMs?: number) => phaseRun(options, gateway, phase, `${mode}-${run}-${step}-${process.pid}`, scrapeMs);
      const first = await once(1);
      const measurement = sum(await once(2, options.scrapeMs), await once(3, options.scrapeMs));
      const unscraped = mode === 'on' ? sum(first, await once(4)) : undefined;
      measured.push({ what, mode, run, ...measurement, unscraped, scrapeCpuMs: undefined });
      progress(`run ${run} ${what}, metrics ${mode}: ${measurement.messages} messages, ${cpuUsPerMessage(measurement).toFixed(2)} µs CPU/msg` +
        (unscraped ? ` (${cpuUsPerMessage(unscraped).toFixed(2)} unscraped)` : ''));
    }
    // The scrape's own cost, on the gateway idle after the load.
    const scrapeCost = gateway.httpPort === undefined ? undefined : await scrapeCpuMs(gateway.pid, gateway.httpPort);
    return measured.map((m) => ({ ...m, scrapeCpuMs: scrapeCost }));
  } finally {
    await gateway.stop();
    removeTempDir(dir);
  }
}

/**
 * Each run starts a fresh gateway with metrics off and one with metrics on, in turn: two processes that
 * ran throughout would differ by more (their heap layout, their JIT's choices) than metrics make them.
 */
export async function brokerLoad(options: Options, progress: (line: string) => void): Promise<Measurement[]> {
  const measurements: Measurement[] = [];
  for (let run = 1; run <= options.runs; run++) {
    for (const mode of modesOfRun(run)) measurements.push(...(await measure(options, mode, run, progress)));
  }
  return measurements;
}
