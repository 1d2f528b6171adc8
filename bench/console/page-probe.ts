/**
 * What the console costs the browser, measured in a real headless Chromium with its own performance APIs:
 * the paint timings of the page load, and the main thread's busy time (the Chrome DevTools Protocol's
 * Performance domain: TaskDuration, ScriptDuration, LayoutDuration) over a window.
 */
import type { CDPSession, Page } from 'playwright-core';

export interface LoadTimings {
  /** Navigation start to first contentful paint (the page's frame), ms. */
  firstContentfulPaintMs: number;
  /** Navigation start to a tag value on screen (after "Expand all"), ms. */
  firstValueMs: number;
  /** "Expand all" clicked to the 10,000-tag tree drawn, ms. */
  expandAllMs: number;
}

export interface MainThread {
  /** Main-thread task time per second of wall time, ms/s. */
  taskMsPerS: number;
  scriptMsPerS: number;
  layoutMsPerS: number;
}

/** In the page: whether a tag row shows a value. */
const A_VALUE_SHOWN = `[...document.querySelectorAll('.row.tag [data-testid=value]')].some((cell) => cell.textContent !== '—')`;

/** In the page: clicks "Expand all" and resolves with the ms until a frame after the tag rows are drawn. */
const EXPAND_ALL = `(async () => {
  const button = [...document.querySelectorAll('button')].find((candidate) => candidate.textContent === 'Expand all');
  const start = performance.now();
  button.click();
  await new Promise((resolve) => {
    const check = () => (document.querySelectorAll('.row.tag').length > 0 ? requestAnimationFrame(() => resolve()) : requestAnimationFrame(check));
    check();
  });
  return performance.now() - start;
})()`;

export async function loadTimings(page: Page, url: string): Promise<LoadTimings> {
  await page.goto(url);
  await page.waitForSelector('.row', { timeout: 60_000 });
  const firstContentfulPaintMs = Number(await page.evaluate(`performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN`));
  // The levels below the sites are closed at first: tags show once "Expand all" opens them.
  const expandAllMs = Number(await page.evaluate(EXPAND_ALL));
  await page.waitForFunction(A_VALUE_SHOWN, undefined, { timeout: 60_000 });
  const firstValueMs = Number(await page.evaluate('performance.now()'));
  return { firstContentfulPaintMs, firstValueMs, expandAllMs };
}

async function durations(cdp: CDPSession): Promise<Record<string, number>> {
  const { metrics } = await cdp.send('Performance.getMetrics');
  return Object.fromEntries(metrics.map((metric) => [metric.name, metric.value]));
}

/** The main thread's busy time per second over `windowMs`, while whatever runs keeps running. */
export async function mainThreadBusy(cdp: CDPSession, windowMs: number): Promise<MainThread> {
  const before = await durations(cdp);
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  const after = await durations(cdp);
  const seconds = (performance.now() - t0) / 1000;
  const per = (name: string) => (((after[name] ?? 0) - (before[name] ?? 0)) * 1000) / seconds;
  return { taskMsPerS: per('TaskDuration'), scriptMsPerS: per('ScriptDuration'), layoutMsPerS: per('LayoutDuration') + per('RecalcStyleDuration') };
}
