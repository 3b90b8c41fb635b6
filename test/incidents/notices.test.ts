import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { importHistory } from '../../src/incidents/history/import.js';
import { scopeCounts } from '../../src/incidents/scope.js';
import { signedInStaff } from '../helpers/admin.js';
import { Client } from '../helpers/browser-client.js';
import { parseCsv } from '../helpers/csv.js';
import { pdfPages, pdfText } from '../helpers/pdf.js';
import { cliEnv, DIALECTS, startTestShop, type TestShop } from '../helpers/shop.js';

const run = promisify(execFile);
import { startSmtpSink } from '../helpers/smtp-sink.js';

const addr = { postalCode: '100-0001', prefecture: '東京都', address1: '千代田区千代田1-1', address2: null };
const orderer = (name: string, email: string | null, phone: string) => ({ name, email, phone, fax: null, ...addr });
const line = { sku: 'A-1', name: '緑茶 100g', unitPriceYen: 1080, quantity: 1, taxRatePercent: 8 };
const order = (id: string, at: string, o: ReturnType<typeof orderer>, extra: Record<string, unknown> = {}) => ({
  kind: 'order', id, orderedAt: at, customerId: null, orderer: o, shipping: null,
  payment: { method: 'card', status: 'paid', brand: 'visa', last4: '4242', providerRef: `pay_${id}` },
  lines: [line], shippingFeeYen: 600, codFeeYen: 0, totalYen: 1680, ...extra,
});

// Four people and one gift recipient, with exposures inside and outside the windows.
const HISTORY = [
  { kind: 'customer', id: 'C1', registeredAt: '2023-01-10T10:00:00+09:00', name: '山田 太郎', email: 'taro@example.jp', phone: '03-1111-1111', ...addr },
  order('O1', '2024-05-02T12:00:00+09:00', orderer('山田 太郎', 'Taro@Example.jp', '03-1111-1111'), { customerId: 'C1' }),
  // A guest who bought by card, with an address the mail server will refuse.
  order('O2', '2024-05-03T12:00:00+09:00', orderer('鈴木 花子', 'hanako@example.jp', '06-2222-2222')),
  // A guest without e-mail (a phone order), paying by bank transfer, sending a gift.
  order('O3', '2024-05-04T12:00:00+09:00', orderer('高橋 一郎', null, '045-333-3333'), {
    payment: { method: 'bank_transfer', status: 'paid' },
    shipping: { name: '高橋 次郎', phone: '011-444-4444', postalCode: '060-0001', prefecture: '北海道', address1: '札幌市中央区北1条西1', address2: null },
  }),
  // Outside both windows.
  order('O4', '2022-01-04T12:00:00+09:00', orderer('田中 三郎', 'saburo@example.jp', '052-555-5555')),
].map((r) => JSON.stringify(r)).join('\n');

for (const { dialect, skip } of DIALECTS) {
  describe(`incident scope snapshots and notices on ${dialect}`, { skip }, () => {
    let shop: TestShop;
    let sink: Awaited<ReturnType<typeof startSmtpSink>>;
    before(async () => {
      sink = await startSmtpSink();
      shop = await startTestShop({ dialect, seedDemo: false, env: { SMTP_URL: sink.url, NOTICE_MAILS_PER_SECOND: '1000' } });
      const report = await importHistory(shop.shop.services.handle.db, Readable.from([HISTORY]));
      assert.equal(report.refused, 0);
    });
    after(async () => {
      await shop?.close();
      await sink?.close();
    });
    const services = () => shop.shop.services;
    const db = () => services().handle.db;

    test('from scope to letters: snapshot counts equal the scope, e-mails once per person, bounces and people without e-mail get letters', async () => {
      const sec = new Client(shop.url);
      await signedInStaff(services(), sec, 'security', `sec-n-${dialect}@example.jp`);
      await sec.get('/admin/incidents');
      const created = await sec.post('/admin/incidents', { title: '決済画面の改ざん', known_on: '2024-07-17', known_via: 'police', known_detail: '' });
      const id = /\/incidents\/(inc_[0-9A-Z]{16})/.exec(created.url)![1]!;
      await sec.post(`/admin/incidents/${id}`, {
        title: '決済画面の改ざん', known_on: '2024-07-17', known_via: 'police', known_detail: '', case_financial: 'on', case_unlawful: 'on',
        card_from: '2024-05-03', card_to: '2024-07-19', personal_from: '2024-05-01', personal_to: '2024-07-19',
        cause: '改ざん', secondary_damage: '', measures: '', other_notes: '',
      });

      // Snapshot 1: the counts equal a direct scope of the same windows.
      const scoped = await sec.post(`/admin/incidents/${id}/scope`, {});
      assert.match(scoped.url, /done=scoped/);
      const direct = await scopeCounts(db(), { card: { from: '2024-05-03', to: '2024-07-19' }, personal: { from: '2024-05-01', to: '2024-07-19' } });
      assert.deepEqual([direct.card.persons, direct.personal.persons, direct.recipients.persons, direct.total.persons], [1, 3, 1, 4]);
      assert.match(scoped.html, new RegExp(`data-count="card">${direct.card.persons}人`));
      assert.match(scoped.html, /data-count="total">4人/);
      assert.match(scoped.html, /data-chart="by-month"/);

      // Snapshot 2 after forensics widened the card window: Taro is added to the card category only.
      await sec.post(`/admin/incidents/${id}`, {
        title: '決済画面の改ざん', known_on: '2024-07-17', known_via: 'police', known_detail: '', case_financial: 'on', case_unlawful: 'on',
        card_from: '2024-05-01', card_to: '2024-07-19', personal_from: '2024-05-01', personal_to: '2024-07-19',
        cause: '改ざん', secondary_damage: '', measures: '', other_notes: '',
      });
      const again = await sec.post(`/admin/incidents/${id}/scope`, {});
      assert.match(again.html, /data-count="card">2人/);
      assert.match(again.html, /第1版からの変更/);
      assert.match(again.html, /data-added="0" data-removed="0"/); // the same people, one more category

      // The card companies' CSV: provider ids, brand, last 4 — never a card number.
      const csv = await sec.download(`/admin/incidents/${id}/documents/card-payments.csv`);
      const rows = parseCsv(csv.body.toString('utf8').slice(1));
      assert.deepEqual(rows.slice(1).map((r) => [r[0], r[1], r[2], r[3]]), [['pay_O1', 'visa', '4242', '2024-05-02'], ['pay_O2', 'visa', '4242', '2024-05-03']]);

      // Notices: hanako's mail server refuses (5xx) → letter; Ichiro (no e-mail) and the recipient → letters.
      const sent = await sec.post(`/admin/incidents/${id}/notices/send`, {});
      assert.match(sent.url, /done=sent/);
      const notices = await db().selectFrom('incident_notices').selectAll().where('incident_id', '=', id).orderBy('reference').execute();
      assert.equal(notices.length, 4);
      assert.deepEqual(notices.map((n) => n.status).sort(), ['letter_pending', 'letter_pending', 'queued', 'queued']);
      // Sending again changes nothing: nobody is notified twice.
      await sec.post(`/admin/incidents/${id}/notices/send`, {});
      assert.equal((await db().selectFrom('incident_notices').select('id').where('incident_id', '=', id).execute()).length, 4);
      assert.equal((await db().selectFrom('outbox').select('id').where('kind', '=', 'incident_notice').execute()).length, 2);

      // The worker sends; hanako's address is refused permanently.
      const hanako = notices.find((n) => n.email === 'hanako@example.jp')!;
      const order1 = await db().selectFrom('outbox').select(['dedupe_key']).where('kind', '=', 'incident_notice').orderBy('next_attempt_at').execute();
      for (const o of order1) {
        if (o.dedupe_key === hanako.outbox_key) sink.failNext(550, 1);
        await db().updateTable('outbox').set({ next_attempt_at: '2000-01-01T00:00:00.000Z' }).where('dedupe_key', '=', o.dedupe_key).execute();
        await services().outbox.runOnce();
      }
      assert.equal(sink.messages.filter((m) => m.to.includes('taro@example.jp')).length, 1);
      assert.equal(sink.messages.filter((m) => m.to.includes('hanako@example.jp')).length, 0);

      const page = await sec.get(`/admin/incidents/${id}`);
      assert.match(page.html, /data-progress="sent">1件/);
      assert.match(page.html, /data-progress="bounced">1件/);
      assert.match(page.html, /data-progress="letter_pending">3件/);

      // Letters: one batch, window-envelope PDF + mailing CSV, the reference on the letter.
      const made = await sec.post(`/admin/incidents/${id}/letters`, {});
      assert.match(made.url, /done=letters/);
      const batch = await db().selectFrom('incident_letter_batches').selectAll().where('incident_id', '=', id).executeTakeFirstOrThrow();
      assert.equal(batch.letters, 3);
      const pdf = await sec.download(`/admin/incidents/${id}/letters/${batch.id}/letters.pdf`);
      assert.equal(pdfPages(pdf.body), batch.pages);
      const text = pdfText(pdf.body);
      for (const name of ['鈴木 花子 様', '高橋 一郎 様', '高橋 次郎 様']) assert.ok(text.includes(name), name);
      assert.match(text, /〒060-0001/);
      assert.ok(text.includes(hanako.reference));
      assert.match(text, /Visa 末尾4242/); // hanako's own card
      const mailing = parseCsv((await sec.download(`/admin/incidents/${id}/letters/${batch.id}/mailing.csv`)).body.toString('utf8').slice(1));
      assert.equal(mailing.length, 4);
      assert.ok(mailing.some((r) => r[4] === '高橋 次郎' && r[1] === '060-0001'));

      await sec.post(`/admin/incidents/${id}/letters/${batch.id}/posted`, {});
      const final = await sec.get(`/admin/incidents/${id}`);
      assert.match(final.html, /data-progress="letter_posted">3件/);
      const md = await sec.get(`/admin/incidents/${id}/documents/ppc-final.md`);
      assert.match(md.html, /電子メールによる通知: 送信済み1件、送信待ち0件、不達1件。/);
      assert.match(md.html, /書状による通知（メール不達・メールアドレスのない方・配送先の方）: 作成3件、発送3件。/);
      assert.match(md.html, /クレジットカード情報: 2人（決済試行2件）/);

      const actions = (await db().selectFrom('audit_log').select('action').where('target', '=', id).execute()).map((a) => a.action);
      for (const a of ['incident.scope', 'incident.notices_send', 'incident.letters', 'incident.letters_posted', 'incident.card_csv', 'incident.letters_download']) assert.ok(actions.includes(a), a);
    });

    test('npx mamori notices bounces FILE moves sent notices to the letter queue; notices status --json reports it', async () => {
      const file = join(shop.dataDir, 'bounces.eml');
      writeFileSync(file, 'Content-Type: message/delivery-status\r\n\r\nFinal-Recipient: rfc822; TARO@example.jp\r\nAction: failed\r\nStatus: 5.1.1\r\n');
      const env = cliEnv(shop);
      const r = await run(process.execPath, ['bin/mamori.js', 'notices', 'bounces', file], { env });
      assert.match(r.stdout, /1 bounced addresses read .* 1 notices moved to the letter queue/);
      const status = JSON.parse((await run(process.execPath, ['bin/mamori.js', 'notices', 'status', '--json'], { env })).stdout) as { incident: string; email: { sent: number; bounced: number }; letter: { pending: number; posted: number } }[];
      assert.equal(status.length, 1);
      assert.match(status[0]!.incident, /^INC-2024-\d{3}$/);
      assert.deepEqual([status[0]!.email.sent, status[0]!.email.bounced, status[0]!.letter.pending, status[0]!.letter.posted], [0, 2, 1, 3]);
      const taro = await db().selectFrom('incident_notices').selectAll().where('email', '=', 'taro@example.jp').executeTakeFirstOrThrow();
      assert.equal(taro.status, 'letter_pending');
      assert.equal(taro.letter_reason, 'bounced');
    });
  });
}
