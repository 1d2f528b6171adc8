/** What one scrape of /metrics costs the gateway, measured apart from any load's noise. */
import { processTreeCpuSeconds } from '../shared/proc-cpu.ts';
import { sleep } from '../shared/wait.ts';

const SCRAPES = 200;

/**
 * The gateway's CPU for SCRAPES scrapes made one after another, less what it used in as long a time just
 * before without them (its own work: polling, timers); ms per scrape.
 */
export async function scrapeCpuMs(pid: number, port: number): Promise<number> {
  const url = `http://127.0.0.1:${port}/metrics`;
  // A first scrape compiles the code that renders the metrics: not what each later one costs.
  await (await fetch(url)).text();
  const started = performance.now();
  for (let i = 0; i < SCRAPES; i++) await (await fetch(url)).text();
  const busyMs = performance.now() - started;
  const base0 = processTreeCpuSeconds(pid);
  await sleep(busyMs);
  const baseline = processTreeCpuSeconds(pid) - base0;
  const cpu0 = processTreeCpuSeconds(pid);
  const t0 = performance.now();
  for (let i = 0; i < SCRAPES; i++) await (await fetch(url)).text();
  const scaled = (baseline * (performance.now() - t0)) / busyMs;
  return ((processTreeCpuSeconds(pid) - cpu0 - scaled) * 1000) / SCRAPES;
}
