import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { integrityDb } from '../../src/integrity/tables.js';
import { scriptInventory, sri384 } from '../../src/integrity/script-inventory.js';
import { startTestShop, type TestShop } from '../helpers/shop.js';
import { launchBrowser, newVisitor, skip, type BrowserHandle } from './helpers.js';

/**
 * Integrity-Policy in a real Chromium: the checkout page's script (loaded with the inventory's SRI
 * and crossorigin) runs under `Integrity-Policy: blocked-destinations=(script)`, and a script
 * added to the page without integrity metadata is blocked and reported to the shop, which raises
 * the payment-path alert.
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

  test('a script added to the checkout without integrity is blocked and reported; the same with the right integrity runs', async () => {
    const { context, page } = await newVisitor(handle.browser);
    try {
      await toCheckout(page, shop.url);
      // What the page itself observes: the Reporting API report Chromium generates for the endpoint.
      await page.addInitScript(() => {
        const w = window as unknown as { __reports: unknown[] };
        w.__reports = [];
        new ReportingObserver((reports) => w.__reports.push(...reports.map((r) => r.toJSON())), { types: ['integrity-violation'], buffered: true }).observe();
      });
      // A tampered template: two more scripts on /checkout, served by the shop's own origin.
      await page.route(`${shop.url}/checkout`, async (route) => {
        const res = await route.fetch();
        const body = (await res.text()).replace(
          '</head>',
          `<script src="/static/js/probe-a.js" crossorigin="anonymous" data-name="without"></script>` +
            `<script src="/static/js/probe-b.js" integrity="${sri384(PROBE)}" crossorigin="anonymous" data-name="with"></script></head>`,
        );
        await route.fulfill({ response: res, body });
      });
      await page.route(/\/static\/js\/probe-[ab]\.js$/, (route) => route.fulfill({ status: 200, contentType: 'text/javascript; charset=utf-8', body: PROBE }));
      const res = await page.goto(`${shop.url}/checkout`);
      assert.equal(res?.headers()['integrity-policy'], 'blocked-destinations=(script), endpoints=(integrity)');
      await page.waitForFunction(() => document.documentElement.getAttribute('data-probe-with') === 'ran');
      assert.equal(await page.evaluate(() => document.documentElement.getAttribute('data-probe-without')), null, 'the script without integrity did not run');
      // The shop's own script still runs.
      await page.waitForFunction(() => (document.querySelector('[data-shipto="other"]') as HTMLElement | null)?.hidden === true);

      await page.waitForFunction(() => (window as unknown as { __reports: unknown[] }).__reports.length > 0);
      const reports = await page.evaluate(() => (window as unknown as { __reports: { type: string; url: string; body: Record<string, unknown> }[] }).__reports);
      assert.equal(reports[0]!.type, 'integrity-violation');
      assert.deepEqual(reports[0]!.body, { documentURL: `${shop.url}/checkout`, blockedURL: `${shop.url}/static/js/probe-a.js`, destination: 'script', reportOnly: false });
      assert.ok(reports.every((r) => !String(r.body.blockedURL).includes('probe-b') && !String(r.body.blockedURL).includes('shop.js')), 'only the script without integrity');

      // Delivered to the endpoint named in Reporting-Endpoints as the Reporting API posts it. (Headless
      // Chromium here queues Reporting API uploads but did not send them within 70 s in our runs,
      // --short-reporting-delay or not, CSP reports included; so the test posts the report it observed.)
      const endpoint = /integrity="([^"]+)"/.exec(res!.headers()['reporting-endpoints'] ?? '')?.[1];
      assert.equal(endpoint, `${shop.url}/csp-report`);
      const posted = await fetch(endpoint!, { method: 'POST', headers: { 'content-type': 'application/reports+json', 'user-agent': await page.evaluate(() => navigator.userAgent) }, body: JSON.stringify(reports.map((r) => ({ ...r, age: 0, user_agent: 'Chromium' }))) });
      assert.equal(posted.status, 204);
      const row = await integrityDb(shop.shop.services.handle.db).selectFrom('csp_reports').selectAll().where('directive', '=', 'integrity-policy').executeTakeFirst();
      assert.ok(row, 'stored');
      assert.equal(row.document_path, '/checkout');
      assert.equal(row.blocked_uri, `${shop.url}/static/js/probe-a.js`);
      assert.equal(row.payment_path, 1);
      const alerts = await shop.shop.services.alerts.listOpen();
      assert.ok(alerts.some((a) => a.kind === 'csp_violation_payment_path' && a.severity === 'critical' && a.message.includes('Integrity-Policy')));
    } finally {
      await context.close();
    }
  });
});
