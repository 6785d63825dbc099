import { chromium } from 'playwright-core';

// Opens the dashboard of a running server (e.g. `npm start` with its demo book) in Debian's Chromium, signs in,
// prints how long the page took, and saves a screenshot. Usage:
//   node scripts/dashboard-screenshot.ts [baseUrl] [email] [password] [out.png]

const [base = 'http://127.0.0.1:3000', email = 'exec@demo.local', password = 'demo-exec-2026', out = 'docs/dashboard.png'] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 }, locale: 'en-GB' });
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  let start = Date.now();
  await page.goto(`${base}/dashboard`);
  await page.waitForSelector('form.signin');
  const formMs = Date.now() - start;
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  start = Date.now();
  await page.click('form.signin button[type=submit]');
  await page.waitForSelector('body[data-ready=dashboard]');
  const panelsMs = Date.now() - start;
  // A reload with the session gone signs in again; a filter change re-renders every panel without one.
  start = Date.now();
  await page.selectOption('form.filters select[name=period]', `${new Date().getUTCFullYear()}-Q4`);
  await page.click('form.filters button[type=submit]');
  await page.waitForSelector('body[data-ready=dashboard]');
  const filterMs = Date.now() - start;
  await page.selectOption('form.filters select[name=period]', String(new Date().getUTCFullYear()));
  await page.click('form.filters button[type=submit]');
  await page.waitForSelector('body[data-ready=dashboard]');
  await page.waitForTimeout(300); // the charts draw on the next frame
  await page.screenshot({ path: out, fullPage: true });
  console.log(JSON.stringify({ signInFormMs: formMs, signInToAllPanelsMs: panelsMs, filterChangeMs: filterMs, consoleErrors: errors, screenshot: out }));
} finally {
  await browser.close();
}
