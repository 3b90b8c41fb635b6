import assert from 'node:assert/strict';
import Fastify, { type FastifyInstance } from 'fastify';
import { after, before, describe, test } from 'node:test';
import { AlertService } from '../../src/alerts/service.js';
import { cspReportRoutes, CSP_REPORT_MAX_BYTES, parseCspReports } from '../../src/integrity/csp-reports.js';
import { installAlertResponse } from '../../src/integrity/response.js';
import { integrityDb } from '../../src/integrity/tables.js';
import { CardKillSwitch } from '../../src/payments/killswitch.js';
import { installPanTripwire } from '../../src/payments/tripwire.js';
import { RateLimiter } from '../../src/shared/ratelimit.js';
import { DIALECTS } from '../helpers/shop.js';
import { openIntegrityDb } from './helpers.js';

type Handle = Awaited<ReturnType<typeof openIntegrityDb>>;

const legacy = (documentUri: string, blocked: string, directive = 'script-src-elem') => JSON.stringify({
  'csp-report': {
    'document-uri': documentUri, referrer: '', 'violated-directive': directive, 'effective-directive': directive,
    'original-policy': "default-src 'none'; script-src 'self'", disposition: 'enforce', 'blocked-uri': blocked, 'status-code': 200,
    'source-file': documentUri, 'line-number': 12, 'column-number': 3,
  },
});

const reportingApi = (url: string, blocked: string) => JSON.stringify([
  { type: 'csp-violation', age: 3, url, user_agent: 'Mozilla/5.0', body: { documentURL: url, blockedURL: blocked, effectiveDirective: 'connect-src', disposition: 'enforce', statusCode: 200, originalPolicy: "default-src 'none'" } },
  { type: 'deprecation', age: 1, url, body: { id: 'x' } },
]);

for (const { dialect, skip } of DIALECTS) {
  describe(`CSP report endpoint on ${dialect}`, { skip }, () => {
    let h: Handle;
    let app: FastifyInstance;
    let alerts: AlertService;
    let killSwitch: CardKillSwitch;

    before(async () => {
      h = await openIntegrityDb(dialect);
      alerts = new AlertService(h.db);
      killSwitch = new CardKillSwitch(h.db);
      installAlertResponse({ alerts, killSwitch, db: h.db, mailTo: async () => [] });
      // The pieces of the shop's server that matter here: the PAN tripwire before everything,
      // and JSON handed to routes as a string.
      app = Fastify({ bodyLimit: 64 * 1024 });
      installPanTripwire(app, { alerts, hashKey: 'k'.repeat(32), maxBodyBytes: 256 * 1024 });
      app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: 256 * 1024 }, (_req, body, done) => done(null, body));
      cspReportRoutes(app, { db: h.db, alerts, rateLimiter: new RateLimiter(h.db), hashKey: 'k'.repeat(32), perIpPerMinute: 5 });
      app.post('/elsewhere', async () => 'ok');
      await app.ready();
    });
    after(async () => {
      await app?.close();
      await h?.cleanup();
    });

    const post = (payload: string, contentType = 'application/csp-report', ip = '198.51.100.1') =>
      app.inject({ method: 'POST', url: '/csp-report', payload, headers: { 'content-type': contentType, 'user-agent': 'Mozilla/5.0 test' }, remoteAddress: ip });
    const rows = () => integrityDb(h.db).selectFrom('csp_reports').selectAll().orderBy('first_seen_at').execute();

    test('a report on the checkout is stored (204) and raises a critical alert; the same again is one row with a count', async () => {
      const res = await post(legacy('https://shop.example/checkout?token=secret', 'https://evil.example/skim.js?cc=4111'));
      assert.equal(res.statusCode, 204);
      assert.equal(res.body, '');
      const again = await post(legacy('https://shop.example/checkout', 'https://evil.example/skim.js?other=1'), 'application/csp-report', '198.51.100.2');
      assert.equal(again.statusCode, 204);
      const stored = await rows();
      assert.equal(stored.length, 1);
      assert.equal(stored[0]!.count, 2);
      assert.equal(stored[0]!.document_path, '/checkout', 'no query string (it can carry tokens)');
      assert.equal(stored[0]!.blocked_uri, 'https://evil.example/skim.js', 'no query string (it can carry skimmed data)');
      assert.equal(stored[0]!.directive, 'script-src-elem');
      assert.equal(stored[0]!.payment_path, 1);
      assert.ok(!stored[0]!.last_ip_hash.includes('198.51'), 'the IP is stored as a hash only');
      const open = await alerts.listOpen();
      const a = open.find((x) => x.kind === 'csp_violation_payment_path');
      assert.ok(a);
      assert.equal(a.severity, 'critical');
      assert.equal(a.count, 2);
      assert.equal((await killSwitch.state()).state, 'enabled', 'two sources: not yet corroborated');
    });

    test('Reporting API bodies (application/reports+json) and plain JSON are accepted; elsewhere is a warning', async () => {
      const res = await post(reportingApi('https://shop.example/products/sencha', 'https://fonts.example/x.woff2'), 'application/reports+json', '198.51.100.3');
      assert.equal(res.statusCode, 204);
      const json = await post(legacy('https://shop.example/orders/ord_1/pay', 'inline'), 'application/json', '198.51.100.4');
      assert.equal(json.statusCode, 204);
      const stored = await rows();
      const product = stored.find((r) => r.document_path === '/products/sencha')!;
      assert.equal(product.payment_path, 0);
      assert.equal(product.directive, 'connect-src');
      assert.equal(stored.filter((r) => r.document_path === '/products/sencha').length, 1, 'the deprecation report is not a CSP violation');
      const pay = stored.find((r) => r.document_path === '/orders/ord_1/pay')!;
      assert.equal(pay.payment_path, 1);
      assert.equal(pay.blocked_uri, 'inline');
      const open = await alerts.listOpen();
      assert.ok(open.some((a) => a.kind === 'csp_violation' && a.severity === 'warning'));
      assert.equal(open.filter((a) => a.kind === 'csp_violation_payment_path').length, 2);
      // Third distinct source on the payment path within the window: card payments are suspended.
      assert.equal((await killSwitch.state()).state, 'suspended');
    });

    test('browser-extension noise is stored but never alerted', async () => {
      const before = (await alerts.listOpen()).length;
      const res = await post(legacy('https://shop.example/checkout', 'chrome-extension://abcdef/inject.js'), 'application/csp-report', '198.51.100.5');
      assert.equal(res.statusCode, 204);
      const row = (await rows()).find((r) => r.blocked_uri.startsWith('chrome-extension:'))!;
      assert.equal(row.noise, 1);
      assert.equal((await alerts.listOpen()).length, before);
    });

    test('forged floods stay bounded: distinct URLs make distinct rows but one alert per page kind and directive; junk is not alerted', async () => {
      const before = await alerts.listOpen();
      for (let i = 0; i < 10; i++) {
        assert.equal((await post(legacy('https://shop.example/news', `https://spam${i}.example/x.js`, 'img-src'), 'application/csp-report', `192.0.2.${i + 1}`)).statusCode, 204);
      }
      assert.equal((await post(JSON.stringify({ 'csp-report': { 'blocked-uri': 'https://junk.example/' } }), 'application/csp-report', '192.0.2.50')).statusCode, 204);
      assert.equal((await post(legacy('https://shop.example/', 'https://junk.example/', 'made-up-directive'), 'application/csp-report', '192.0.2.51')).statusCode, 204);
      const after = await alerts.listOpen();
      const added = after.filter((a) => !before.some((b) => b.id === a.id));
      assert.equal(added.length, 1);
      assert.equal(added[0]!.kind, 'csp_violation');
      assert.equal(added[0]!.count, 10);
      assert.equal((await rows()).filter((r) => r.blocked_uri.startsWith('https://spam')).length, 10);
      assert.equal((await rows()).filter((r) => r.blocked_uri.startsWith('https://junk')).every((r) => r.noise === 1), true);
    });

    test('an oversize body is refused with 413; invalid JSON with 400; another content type with 415', async () => {
      const big = legacy('https://shop.example/', `https://x.example/${'a'.repeat(CSP_REPORT_MAX_BYTES)}`);
      const res = await post(big, 'application/csp-report', '198.51.100.6');
      assert.equal(res.statusCode, 413);
      assert.equal((await post('{not json', 'application/csp-report', '198.51.100.6')).statusCode, 400);
      assert.equal((await post('{"hello":1}', 'application/csp-report', '198.51.100.6')).statusCode, 400);
      assert.equal((await post('x', 'text/plain', '198.51.100.6')).statusCode, 415);
      assert.equal((await post('<x/>', 'application/xml', '198.51.100.6')).statusCode, 415);
    });

    test('the report parsers do not leak to other routes', async () => {
      const res = await app.inject({ method: 'POST', url: '/elsewhere', payload: legacy('https://shop.example/', 'inline'), headers: { 'content-type': 'application/csp-report' } });
      assert.equal(res.statusCode, 415);
    });

    test('rate-limited per IP (429 after the limit), other IPs unaffected', async () => {
      const codes: number[] = [];
      for (let i = 0; i < 7; i++) codes.push((await post(legacy('https://shop.example/about', `https://cdn${i}.example/a.js`), 'application/csp-report', '203.0.113.9')).statusCode);
      assert.deepEqual(codes, [204, 204, 204, 204, 204, 429, 429]);
      assert.equal((await post(legacy('https://shop.example/about', 'https://cdn.example/a.js'), 'application/csp-report', '203.0.113.10')).statusCode, 204);
      assert.equal((await rows()).filter((r) => r.document_path === '/about').length, 6);
    });

    test('a report carrying a card number is refused by the PAN tripwire before it is parsed', async () => {
      const res = await post(legacy('https://shop.example/checkout', 'https://evil.example/c?n=4111 1111 1111 1111'), 'application/csp-report', '198.51.100.7');
      assert.equal(res.statusCode, 400);
    });

    test('Integrity-Policy reports (integrity-violation) are stored like CSP reports and take the same alert path', async () => {
      const integrity = (url: string, blocked: string, reportOnly = false) => JSON.stringify([
        { type: 'integrity-violation', age: 2, url, user_agent: 'Mozilla/5.0', body: { documentURL: url, blockedURL: blocked, destination: 'script', reportOnly } },
      ]);
      await killSwitch.set('enabled', 'staff:sec@example.jp', 'test: resumed before the integrity report');
      const res = await post(integrity('https://shop.example/checkout?x=1', 'https://shop.example/static/js/skim.js?c=1'), 'application/reports+json', '198.51.100.20');
      assert.equal(res.statusCode, 204);
      const row = (await rows()).find((r) => r.directive === 'integrity-policy' && r.document_path === '/checkout')!;
      assert.ok(row, 'stored under the directive integrity-policy');
      assert.equal(row.blocked_uri, 'https://shop.example/static/js/skim.js');
      assert.equal(row.payment_path, 1);
      assert.equal(row.disposition, 'enforce');
      const alert = (await alerts.listOpen()).find((a) => a.kind === 'csp_violation_payment_path' && a.dedupe_key.endsWith(':integrity-policy'));
      assert.ok(alert, 'a critical payment-path alert, like a CSP violation');
      assert.equal(alert.severity, 'critical');
      assert.match(alert.message, /Integrity-Policy/);
      // The kind already has three distinct sources in the window (tests above): suspended at once.
      assert.equal((await killSwitch.state()).state, 'suspended');

      assert.equal((await post(integrity('https://shop.example/products/sencha', 'https://shop.example/x.js', true), 'application/reports+json', '198.51.100.21')).statusCode, 204);
      const elsewhere = (await rows()).find((r) => r.directive === 'integrity-policy' && r.document_path === '/products/sencha')!;
      assert.equal(elsewhere.disposition, 'report');
      assert.equal(elsewhere.payment_path, 0);
      assert.ok((await alerts.listOpen()).some((a) => a.kind === 'csp_violation' && a.dedupe_key === 'csp_violation:integrity-policy'));
    });

    test('parser unit: both formats, odd values', () => {
      assert.deepEqual(parseCspReports({ 'csp-report': { 'document-uri': '/checkout/return/x', 'violated-directive': "script-src 'self'", 'blocked-uri': 'data:text/javascript,alert(1)' } }), [
        { documentPath: '/checkout/return/x', directive: 'script-src', blockedUri: 'data:', sourceFile: null, disposition: 'enforce' },
      ]);
      assert.equal(parseCspReports([{ nope: 1 }]), null);
      assert.deepEqual(parseCspReports([]), []);
    });
  });
}
