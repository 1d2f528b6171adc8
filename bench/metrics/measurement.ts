import type { Mode } from './mode-gateway.ts';

/** The gateway's CPU for the messages it handled. */
export interface CpuPerMessage {
  cpuSeconds: number;
  messages: number;
}

/** One measured part of one run: the gateway's CPU for the messages it handled. */
export interface Measurement {
  /** What was measured: a load and its phase ("broker QoS 0 fan-in"). */
  what: string;
  mode: Mode;
  run: number;
  cpuSeconds: number;
  /** How long the measured part took. */
  seconds: number;
  messages: number;
  /** Scrapes of /metrics while it ran (metrics on). */
  scrapes: number;
  scrapeBytes: number;
  /** Share of a core used meanwhile by other processes than the gateway and the load (other work on the machine). */
  otherCores: number;
  /** Metrics on: the same part measured again on the same process without scrapes, which isolates their cost. */
  unscraped: CpuPerMessage | undefined;
  /** Metrics on: the gateway's CPU per scrape, measured apart (see scrape-cost.ts), ms. */
  scrapeCpuMs: number | undefined;
}

export const cpuUsPerMessage = (m: CpuPerMessage): number => (m.messages > 0 ? (m.cpuSeconds * 1e6) / m.messages : Number.NaN);

/** Off then on in odd runs, on then off in even ones, so that drift weighs on both alike. */
export function modesOfRun(run: number): readonly Mode[] {
  return run % 2 === 1 ? ['off', 'on'] : ['on', 'off'];
}
