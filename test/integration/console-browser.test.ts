import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startPlant, type RunningPlant } from '../../connectors/simulator/plant.ts';
import { hashPassword } from '../../src/broker/passwords.ts';
import { hasChromium, launchBrowser } from '../helpers/browser.ts';
import { demoPlantMapping } from '../helpers/demo-plant.ts';
import { freePort } from '../helpers/free-port.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';

const FAST_POLL_MS = 500;
const SETPOINT = 'demo-plant/pumping/pump-101/motor/speed-setpoint';
const SETPOINT_REGISTER = 5;

let modbusPort: number;
let plant: RunningPlant;
let gw: TestGateway;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  if (!hasChromium) return;
  modbusPort = await freePort();
  plant = await startPlant({ host: '127.0.0.1', modbusPort });
  const users = [
    `    - { username: operator, password: "${await hashPassword('operator-pw')}", roles: [operator] }`,
    `    - { username: viewer, password: "${await hashPassword('viewer-pw')}", roles: [viewer] }`,
  ];
  gw = await startTestGateway({
    mappings: { 'demo-plant.yaml': demoPlantMapping(modbusPort) },
    extra: `access:
  allowAnonymous: false
  roles:
    viewer: { subscribe: ['#'] }
    operator: { subscribe: ['#'], publish: ['demo-plant/#'], write: ['demo-plant/#'] }
  users:
${users.join('\n')}
`,
  });
  browser = await launchBrowser();
}, 60_000);

afterEach(async () => {
  await page?.close();
});

afterAll(async () => {
  if (!hasChromium) return;
  await browser?.close();
  await gw?.stop();
  await plant?.stop();
});

const row = (topic: string) => page.locator(`.row.tag[data-topic="${topic}"]`);
const valueOf = async (topic: string) => (await row(topic).locator('[data-testid=value]').textContent())?.trim();

/** Opens the console, logs in, and opens every level of the tree. */
async function openAs(username: string): Promise<void> {
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`http://127.0.0.1:${gw.gateway.http?.port}/`);
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', `${username}-pw`);
  await page.click('button[type=submit]');
  await page.click('text=Expand all');
  await row(SETPOINT).waitFor();
}

describe.skipIf(!hasChromium)('web console in a real browser (Chromium via playwright-core), against the gateway and the demo pump station', () => {
  it('refuses a wrong password, saying so', async () => {
    page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${gw.gateway.http?.port}/`);
    await page.fill('input[name=username]', 'operator');
    await page.fill('input[name=password]', 'wrong');
    await page.click('button[type=submit]');
    await expect.poll(() => page.locator('[data-testid=login-error]').textContent()).toContain('bad username or password');
  });

  it('shows the demo tags with their values, and a value changed at the PLC within two poll periods', async () => {
    await openAs('operator');
    const topics = await page.locator('.row.tag').evaluateAll((rows) => rows.map((element) => element.getAttribute('data-topic')));
    expect(topics).toContain('demo-plant/pumping/pump-101/discharge-pressure');
    expect(topics.length).toBe(9);
    await expect.poll(() => valueOf(SETPOINT), { timeout: 5000 }).toBe('1450');
    expect(await row(SETPOINT).getAttribute('data-quality')).toBe('good');
    expect(await row(SETPOINT).locator('.unit').textContent()).toBe('rpm');
    plant.station.bank.holding[SETPOINT_REGISTER] = 1234;
    const changedAt = Date.now();
    await expect.poll(() => valueOf(SETPOINT), { timeout: 5000 }).toBe('1234');
    expect(Date.now() - changedAt).toBeLessThan(2 * FAST_POLL_MS);
  });

  it('writes a setpoint within range and shows the new value; refuses one out of range, the PLC unchanged', async () => {
    await openAs('operator');
    await row(SETPOINT).click();
    const form = page.locator('[data-testid=write]');
    await form.locator('input[name=setpoint]').fill('1200');
    await form.locator('button[type=submit]').click();
    await expect.poll(() => page.locator('[data-testid=write-result]').textContent()).toBe('written: 1200');
    expect(plant.station.bank.holding[SETPOINT_REGISTER]).toBe(1200);
    await expect.poll(() => valueOf(SETPOINT), { timeout: 5000 }).toBe('1200');
    await form.locator('input[name=setpoint]').fill('9000');
    await form.locator('button[type=submit]').click();
    await expect.poll(() => page.locator('[data-testid=write-result]').textContent()).toMatch(/^UNS_ERR_SET_RANGE: /);
    expect(plant.station.bank.holding[SETPOINT_REGISTER]).toBe(1200);
  });

  it('offers a read-only user no write control', async () => {
    await openAs('viewer');
    await row(SETPOINT).click();
    await expect.poll(() => page.locator('[data-testid=detail]').textContent()).toContain('yes, not by you');
    expect(await page.locator('[data-testid=write]').count()).toBe(0);
  });

  it('turns the tags bad with the status code when the simulator stops, and good when it is back', async () => {
    await openAs('operator');
    await expect.poll(() => row(SETPOINT).getAttribute('data-quality'), { timeout: 5000 }).toBe('good');
    await plant.stop();
    // A loaded machine may take a few reads' timeouts to call the connection lost.
    await expect.poll(() => row(SETPOINT).getAttribute('data-quality'), { timeout: 25_000 }).toBe('bad');
    expect(await row(SETPOINT).locator('.quality').textContent()).toMatch(/^bad UNS_ERR_MODBUS_/);
    await page.click('text=Devices');
    await expect.poll(() => page.locator('tr[data-device=demo-pump-station]').getAttribute('data-state'), { timeout: 5000 }).toBe('error');
    plant = await startPlant({ host: '127.0.0.1', modbusPort });
    await expect.poll(() => page.locator('tr[data-device=demo-pump-station]').getAttribute('data-state'), { timeout: 15_000 }).toBe('connected');
    await page.click('text=Namespace');
    await expect.poll(() => row(SETPOINT).getAttribute('data-quality'), { timeout: 15_000 }).toBe('good');
  }, 90_000);
});
