import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { AlertService } from '../../src/alerts/service.js';
import { nowIso } from '../../src/db/index.js';
import { installAlertResponse, securityContacts, SUSPEND_ACTOR, type AlertResponse } from '../../src/integrity/response.js';
import { integrityDb } from '../../src/integrity/tables.js';
import { CardKillSwitch } from '../../src/payments/killswitch.js';
import { newId } from '../../src/shared/ids.js';
import { DIALECTS } from '../helpers/shop.js';
import { openIntegrityDb } from './helpers.js';

type Handle = Awaited<ReturnType<typeof openIntegrityDb>>;

interface Received {
  at: number;
  contentType: string;
  body: { text?: unknown; attachments?: { color?: unknown; fields?: { title: string; value: string }[] }[] };
}

/** A local Slack-compatible receiver; `failFirst` answers 500 that many times first. */
async function receiver(opts: { failFirst?: number; delayMs?: number } = {}) {
  const received: Received[] = [];
  let failures = opts.failFirst ?? 0;
  let attempts = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      attempts++;
      const answer = () => {
        if (failures > 0) {
          failures--;
          res.writeHead(500).end('nope');
          return;
        }
        received.push({ at: Date.now(), contentType: String(req.headers['content-type']), body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Received['body'] });
        res.writeHead(200).end('ok');
      };
      if (opts.delayMs) setTimeout(answer, opts.delayMs);
      else answer();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook/T000/B000/secret`,
    received,
    attempts: () => attempts,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

function staff(email: string, role: 'owner' | 'staff' | 'security', status: 'active' | 'disabled' | 'invited' = 'active') {
  const now = nowIso();
  return {
    id: newId('stf'), email, email_norm: email, name: 'テスト', role, status, password_hash: 'x', totp_secret: null, totp_enabled_at: null,
    recovery_codes: '[]', failed_attempts: 0, locked_until: null, setup_token_hash: null, setup_expires_at: null, created_at: now, updated_at: now,
  };
}

for (const { dialect, skip } of DIALECTS) {
  describe(`alert fan-out and automatic response on ${dialect}`, { skip }, () => {
    let h: Handle;
    let hook: Awaited<ReturnType<typeof receiver>>;
    let alerts: AlertService;
    let killSwitch: CardKillSwitch;
    let response: AlertResponse;

    before(async () => {
      h = await openIntegrityDb(dialect);
      hook = await receiver({ failFirst: 1 });
      await h.db.insertInto('staff').values([
        staff('owner@example.jp', 'owner'), staff('sec@example.jp', 'security'), staff('clerk@example.jp', 'staff'),
        staff('old-sec@example.jp', 'security', 'disabled'), staff('new-owner@example.jp', 'owner', 'invited'),
      ]).execute();
    });
    after(async () => {
      await response?.flush();
      await hook?.close();
      await h?.cleanup();
    });
    beforeEach(async () => {
      // A fresh alert service and switch for each test, on the same database.
      await h.db.deleteFrom('alerts').execute();
      await h.db.deleteFrom('outbox').execute();
      await h.db.deleteFrom('card_payment_switch').execute();
      await integrityDb(h.db).deleteFrom('integrity_alert_sources').execute();
      alerts = new AlertService(h.db);
      killSwitch = new CardKillSwitch(h.db);
      response = installAlertResponse({
        alerts, killSwitch, db: h.db, mailTo: () => securityContacts(h.db), webhookUrl: hook.url, adminUrl: 'https://shop.example/admin/security',
        webhook: { timeoutMs: 2000, attempts: 3, backoffMs: 50 },
      });
    });

    test('security contacts are the active owners and security staff', async () => {
      assert.deepEqual(await securityContacts(h.db), ['owner@example.jp', 'sec@example.jp']);
    });

    test('a critical payment-code alert suspends card payments before raise() returns; a warning does not', async () => {
      await alerts.raise({ severity: 'warning', kind: 'file_changed', message: 'CSS changed', evidence: { files: [] } });
      assert.equal((await killSwitch.state()).state, 'enabled');
      await alerts.raise({ severity: 'critical', kind: 'payment_code_changed', message: '決済経路のファイルが改ざんされた可能性があります: src/payments/service.ts（変更）' });
      const s = await killSwitch.state();
      assert.equal(s.state, 'suspended');
      assert.equal(s.actor, SUSPEND_ACTOR);
      assert.match(s.reason ?? '', /^payment_code_changed: 決済経路/);
      // A critical alert of a kind outside the list (for example a login lockout) does not.
      await killSwitch.set('enabled', 'test', 'resume');
      await alerts.raise({ severity: 'critical', kind: 'something_else', message: 'x' });
      assert.equal((await killSwitch.state()).state, 'enabled');
      // Raised again while open after a resume: suspends again (the condition persists).
      await alerts.raise({ severity: 'critical', kind: 'payment_code_changed', message: 'again' });
      assert.equal((await killSwitch.state()).state, 'suspended');
      await response.flush();
    });

    test('pan_tripwire: one source does not suspend; three distinct sources within the window do', async () => {
      const trip = (ipHash: string) => alerts.raise({
        severity: 'critical', kind: 'pan_tripwire', dedupeKey: 'pan_tripwire:POST:/checkout/confirm:note',
        message: 'カード情報らしき値がショップに送信されました', evidence: { method: 'POST', path: '/checkout/confirm', field: 'note', ipHash },
      });
      await trip('ip-A');
      await trip('ip-A');
      await trip('ip-A');
      assert.equal((await killSwitch.state()).state, 'enabled', 'the same source tripping again and again is one source');
      await trip('ip-B');
      assert.equal((await killSwitch.state()).state, 'enabled');
      await trip('ip-C');
      const s = await killSwitch.state();
      assert.equal(s.state, 'suspended');
      assert.match(s.reason ?? '', /^pan_tripwire: /);
      await response.flush();
    });

    test('with distinctSources: 1 (drills) the first tripwire suspends', async () => {
      const a2 = new AlertService(h.db);
      installAlertResponse({ alerts: a2, killSwitch, db: h.db, mailTo: async () => [], corroboration: { distinctSources: 1 } });
      await a2.raise({ severity: 'critical', kind: 'pan_tripwire', dedupeKey: 'pan_tripwire:x', message: 'x', evidence: { ipHash: 'ip-Z' } });
      assert.equal((await killSwitch.state()).state, 'suspended');
    });

    test('each new alert is mailed once to each security contact and posted to the webhook as Slack JSON', async () => {
      const before = hook.received.length;
      const raised = await alerts.raise({ severity: 'critical', kind: 'settings_tampered', dedupeKey: 'settings_tampered:x', message: '設定が直接変更されました', evidence: { changed: ['staff'] } });
      await alerts.raise({ severity: 'critical', kind: 'settings_tampered', dedupeKey: 'settings_tampered:x', message: '設定が直接変更されました', evidence: { changed: ['staff'] } });
      const mails = await h.db.selectFrom('outbox').selectAll().where('kind', '=', 'security_alert').orderBy('to_address').execute();
      assert.deepEqual(mails.map((m) => m.to_address), ['owner@example.jp', 'sec@example.jp'], 'once per contact, not per raise');
      assert.ok(mails.every((m) => m.dedupe_key === `alert:${raised.id}:${m.to_address}`));
      assert.match(mails[0]!.subject, /重大なセキュリティアラート: settings_tampered/);
      assert.match(mails[0]!.body_text, /カード決済を自動的に停止しました/);
      assert.match(mails[0]!.body_text, /https:\/\/shop\.example\/admin\/security/);

      await response.flush();
      const posts = hook.received.slice(before);
      assert.equal(posts.length, 1, 'one post per new alert (the first attempt got a 500 and was retried)');
      const p = posts[0]!;
      assert.match(p.contentType, /^application\/json/);
      assert.equal(typeof p.body.text, 'string');
      assert.match(String(p.body.text), /CRITICAL settings_tampered/);
      assert.equal(p.body.attachments?.[0]?.color, 'danger');
      assert.ok(p.body.attachments?.[0]?.fields?.some((f) => f.title === 'Card payments' && f.value === 'suspended automatically'));
      assert.ok(hook.attempts() >= 2);
    });

    test('a flood of new alerts of one kind is mailed only up to the hourly limit (the last one says so)', async () => {
      const a2 = new AlertService(h.db);
      const r = installAlertResponse({ alerts: a2, killSwitch, db: h.db, mailTo: async () => ['owner@example.jp'], fanoutPerKindPerHour: 2 });
      for (let i = 0; i < 4; i++) await a2.raise({ severity: 'warning', kind: 'flood_test', dedupeKey: `flood:${i}`, message: `made up ${i}` });
      await r.flush();
      const mails = await h.db.selectFrom('outbox').select(['body_text']).where('subject', 'like', '%flood_test%').execute();
      assert.equal(mails.length, 2);
      assert.ok(mails.some((m) => m.body_text.includes('1時間に2件に達しました')));
      assert.equal((await a2.listOpen()).filter((a) => a.kind === 'flood_test').length, 4, 'all are still stored');
    });

    test('a slow webhook never holds up raise()', async () => {
      const slow = await receiver({ delayMs: 1500 });
      const a2 = new AlertService(h.db);
      const r = installAlertResponse({ alerts: a2, killSwitch, db: h.db, mailTo: async () => ['owner@example.jp'], webhookUrl: slow.url, webhook: { timeoutMs: 3000, attempts: 1 } });
      const t0 = Date.now();
      await a2.raise({ severity: 'warning', kind: 'csp_violation', dedupeKey: 'csp:slow', message: 'x' });
      const took = Date.now() - t0;
      assert.ok(took < 500, `raise took ${took} ms`);
      await r.flush();
      assert.equal(slow.received.length, 1);
      await slow.close();
    });

    test('an unreachable webhook is retried, then given up, without throwing into raise()', async () => {
      const a2 = new AlertService(h.db);
      const errors: string[] = [];
      const r = installAlertResponse({
        alerts: a2, killSwitch, db: h.db, mailTo: async () => [], webhookUrl: 'http://127.0.0.1:9/unreachable', webhook: { timeoutMs: 500, attempts: 2, backoffMs: 10 },
        logger: { info: () => undefined, warn: () => undefined, error: (o, m) => errors.push(`${m ?? ''} ${JSON.stringify(o)}`) },
      });
      await a2.raise({ severity: 'warning', kind: 'csp_violation', dedupeKey: 'csp:unreachable', message: 'x' });
      await r.flush();
      assert.equal(errors.length, 1);
      assert.match(errors[0]!, /alert webhook failed/);
      assert.ok(!errors[0]!.includes('unreachable'), 'the webhook URL (a secret) is not logged');
    });
  });
}
