/**
 * The README's screenshots of the web console: the namespace tree, a tag's detail with its trend, and the
 * devices page, taken in headless Chromium against a gateway reading the demo pump station.
 *
 *   node --import tsx scripts/console-screenshots.ts   (npm run screenshots)
 */
import { mkdirSync } from 'node:fs';
import { startPlant } from '../connectors/simulator/plant.ts';
import { launchBrowser } from '../test/helpers/browser.ts';
import { demoPlantMapping } from '../test/helpers/demo-plant.ts';
import { freePort } from '../test/helpers/free-port.ts';
import { startTestGateway } from '../test/helpers/gateway.ts';

const OUT = 'docs';
const TREND_SECONDS = 20;

const modbusPort = await freePort();
const plant = await startPlant({ host: '127.0.0.1', modbusPort });
const gw = await startTestGateway({
  mappings: { 'demo-plant.yaml': demoPlantMapping(modbusPort) },
  extra: 'access:\n  anonymousWrite: true\n',
});
const browser = await launchBrowser();
try {
  mkdirSync(OUT, { recursive: true });
  const page = await browser.newPage({ viewport: { width: 1280, height: 640 } });
  await page.goto(`http://127.0.0.1:${gw.gateway.http?.port}/`);
  await page.click('text=Expand all');
  await page.locator('.row.tag[data-quality=good]').first().waitFor();
  await page.locator('.row.tag[data-topic="demo-plant/pumping/pump-101/discharge-pressure"]').click();
  await page.waitForTimeout(TREND_SECONDS * 1000);
  await page.screenshot({ path: `${OUT}/console-tag.png` });
  await page.screenshot({ path: `${OUT}/console-tree.png`, clip: { x: 0, y: 0, width: 760, height: 640 } });
  await page.click('text=Devices');
  await page.waitForTimeout(6000);
  await page.screenshot({ path: `${OUT}/console-devices.png`, clip: { x: 0, y: 0, width: 1000, height: 200 } });
  process.stdout.write(`wrote ${OUT}/console-tree.png, ${OUT}/console-tag.png, ${OUT}/console-devices.png\n`);
} finally {
  await browser.close();
  await gw.stop();
  await plant.stop();
}
