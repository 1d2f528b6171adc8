/**
 * Web console benchmark: the page in a real headless Chromium (Debian's, via playwright-core) against a
 * gateway process with bench:modbus's layout (10 devices × 1,000 tags by default) and its simulators.
 * Prints the page's load timings, and the browser main thread's busy time per second with the values
 * still (baseline) and changing at bench:modbus's rate, in the tree's first screen and scrolled halfway.
 *
 *   node --import tsx bench/console/main.ts [--devices N] [--registers N] [--changes N] [--window S]
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { hasChromium, launchBrowser } from '../../test/helpers/browser.ts';
import { writeGatewayConfig, type BenchLayout, totalTags } from '../modbus/config.ts';
import { startSimulators } from '../modbus/sim-client.ts';
import { makeTempDir, removeTempDir } from '../shared/cleanup.ts';
import { intOption } from '../shared/int-option.ts';
import { REPO_ROOT } from '../shared/repo-root.ts';
import { runMain } from '../shared/run-main.ts';
import { fmtNum, formatTable } from '../shared/table.ts';
import { sleep } from '../shared/wait.ts';
import { startConsoleGateway } from './console-gateway.ts';
import { loadTimings, mainThreadBusy, type MainThread } from './page-probe.ts';

async function scrollHalfway(page: Page): Promise<void> {
  await page.evaluate(`(() => { const rows = document.querySelector('[data-testid=tree]'); rows.scrollTop = rows.scrollHeight / 2; })()`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { devices: { type: 'string' }, registers: { type: 'string' }, changes: { type: 'string' }, window: { type: 'string' } } });
  if (!hasChromium) throw new Error('no chromium: apt-get install chromium');
  const layout: BenchLayout = { devices: intOption(values.devices, 10, 'devices', 1, 100), registers: intOption(values.registers, 1000, 'registers', 1, 10_000), writableAddress: 0, intervalMs: 1000, timeoutMs: 1000 };
  const changes = intOption(values.changes, 20, 'changes', 0, 10_000);
  const windowMs = intOption(values.window, 10, 'window', 1, 120) * 1000;
  const tags = totalTags(layout);
  const dir = makeTempDir('uns-bench-console-');
  mkdirSync(path.join(dir, 'data'), { recursive: true });
  const sims = await startSimulators({ devices: layout.devices, registers: layout.registers, writableAddress: 0, changesPerDeviceS: changes, tickMs: 100 }, REPO_ROOT, 30_000);
  const gateway = await startConsoleGateway(writeGatewayConfig(dir, layout, sims.ports));
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const load = await loadTimings(page, `http://127.0.0.1:${gateway.httpPort}/`);
    // The retained values of every tag reach the page after its subscription: the baseline starts after them.
    await sleep(12_000);
    const rows: Array<[string, MainThread, number]> = [];
    const measure = async (what: string) => {
      const received0 = gateway.messages();
      const busy = await mainThreadBusy(cdp, windowMs);
      rows.push([what, busy, ((gateway.messages() - received0) * 1000) / windowMs]);
    };
    await measure('values still (baseline)');
    sims.setChanges(true);
    await sleep(2000);
    await measure('values changing, first screen');
    await scrollHalfway(page);
    await measure('values changing, scrolled halfway');
    sims.setChanges(false);
    const baseline = rows[0]?.[1].taskMsPerS ?? Number.NaN;
    console.log(`web console, ${tags.toLocaleString('en-US')} tags (${layout.devices} devices × ${layout.registers}), headless Chromium, ${windowMs / 1000} s windows`);
    console.log(`first contentful paint ${fmtNum(load.firstContentfulPaintMs, 0)} ms; "Expand all" drawn in ${fmtNum(load.expandAllMs, 0)} ms; first value on screen ${fmtNum(load.firstValueMs, 0)} ms after navigation\n`);
    console.log(
      formatTable(
        ['', 'values/s sent', 'main thread ms/s', 'script ms/s', 'layout+style ms/s', 'vs baseline'],
        rows.map(([what, busy, rate]) => [what, fmtNum(rate, 0), fmtNum(busy.taskMsPerS, 1), fmtNum(busy.scriptMsPerS, 1), fmtNum(busy.layoutMsPerS, 1), `${fmtNum(busy.taskMsPerS / baseline, 2)}×`]),
      ),
    );
  } finally {
    await browser.close();
    await gateway.stop();
    await sims.stop(5000);
    removeTempDir(dir);
  }
}

runMain('bench:console', main, 5 * 60_000);
