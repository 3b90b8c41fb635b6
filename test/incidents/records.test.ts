import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { signedInStaff } from '../helpers/admin.js';
import { Client } from '../helpers/browser-client.js';
import { pdfText } from '../helpers/pdf.js';
import { DIALECTS, startTestShop, type TestShop } from '../helpers/shop.js';

const facts = {
  title: '決済画面の改ざん', known_on: '2024-07-17', known_via: 'police', known_detail: '警察から連絡を受けた。',
  case_financial: 'on', case_unlawful: 'on',
  card_from: '2021-05-26', card_to: '2024-07-19', personal_from: '2015-08-28', personal_to: '2024-07-19',
  cause: 'ペイメントアプリケーションの改ざん', secondary_damage: '不正利用のおそれ', measures: '監視の強化', card_reissue_free: 'on', other_notes: '',
};

for (const { dialect, skip } of DIALECTS) {
  describe(`incident records in the admin on ${dialect}`, { skip }, () => {
    let shop: TestShop;
    before(async () => {
      shop = await startTestShop({ dialect, seedDemo: false });
    });
    after(async () => {
      await shop?.close();
    });
    const services = () => shop.shop.services;
    const db = () => services().handle.db;

    test('security staff record an incident, its facts and timeline; deadlines follow the 60-day rule; every change is audited', async () => {
      const sec = new Client(shop.url);
      await signedInStaff(services(), sec, 'security', 'sec-inc@example.jp');
      assert.equal((await sec.get('/admin/incidents')).status, 200);
      const created = await sec.post('/admin/incidents', { title: facts.title, known_on: facts.known_on, known_via: 'police', known_detail: facts.known_detail });
      assert.equal(created.status, 200);
      assert.match(created.url, /\/admin\/incidents\/inc_[0-9A-Z]{16}\?done=created$/);
      assert.match(created.html, /INC-2024-001/);
      const id = /\/incidents\/(inc_[0-9A-Z]{16})/.exec(created.url)![1]!;
      // Before 不正の目的 is ticked, the 確報 is due on day 30.
      assert.match(created.html, /確報 2024-08-15（30日）/);

      const saved = await sec.post(`/admin/incidents/${id}`, facts);
      assert.match(saved.url, /done=saved$/);
      assert.match(saved.html, /確報 2024-09-17（60日・不正の目的）/);
      const row = await db().selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      assert.equal(row.card_from, '2021-05-26');
      assert.equal(row.case_unlawful, 1);
      assert.equal(row.case_sensitive, 0);

      await sec.post(`/admin/incidents/${id}/events`, { on: '2024-07-19', kind: 'card_payments_suspended', note: 'カード決済を停止' });
      const withReport = await sec.post(`/admin/incidents/${id}/events`, { on: '2024-07-20', kind: 'ppc_preliminary', note: '' });
      assert.match(withReport.html, /速報は2024-07-20に提出済み/);
      assert.match(withReport.html, /クレジットカード決済の停止/);

      const audit = await db().selectFrom('audit_log').select(['action', 'actor', 'target']).where('target', '=', id).orderBy('seq').execute();
      assert.deepEqual(audit.map((a) => a.action), ['incident.create', 'incident.update', 'incident.event', 'incident.event']);
      assert.ok(audit.every((a) => a.actor === 'staff:sec-inc@example.jp'));
      assert.equal((await services().audit.verify()).ok, true);

      // The drafts: Markdown and PDF with the incident's facts.
      const md = await sec.get(`/admin/incidents/${id}/documents/ppc-final.md`);
      assert.equal(md.status, 200);
      assert.match(md.headers.get('content-type') ?? '', /text\/markdown/);
      assert.match(md.html, /## 4\. 原因\nペイメントアプリケーションの改ざん/);
      assert.match(md.html, /2024年7月19日、同サイトでのクレジットカード決済を停止した。/);
      const pdf = await sec.download(`/admin/incidents/${id}/documents/public-notice.pdf`);
      assert.equal(pdf.status, 200);
      assert.equal(pdf.headers.get('content-type'), 'application/pdf');
      const text = pdfText(pdf.body).replace(/\s+/g, '');
      assert.ok(text.includes('お詫びとお知らせ'));
      assert.ok(text.includes('カード決済を停止いたしました'));
    });

    test('bad input gets field errors and changes nothing; staff without the security role are refused', async () => {
      const sec = new Client(shop.url);
      await signedInStaff(services(), sec, 'owner', 'own-inc@example.jp');
      await sec.get('/admin/incidents');
      const bad = await sec.post('/admin/incidents', { title: '', known_on: '2024-02-30', known_via: 'rumour', known_detail: '' });
      assert.equal(bad.status, 422);
      assert.match(bad.html, /入力してください/);
      assert.match(bad.html, /日付を正しく入力してください/);
      assert.match(bad.html, /選択肢から選んでください/);
      const before = await db().selectFrom('incidents').select(db().fn.countAll<number>().as('n')).executeTakeFirstOrThrow();

      const ok = await sec.post('/admin/incidents', { title: '二件目', known_on: '2024-12-01', known_via: 'own_alert', known_detail: '' });
      const id = /\/incidents\/(inc_[0-9A-Z]{16})/.exec(ok.url)![1]!;
      const halfWindow = await sec.post(`/admin/incidents/${id}`, { ...facts, card_to: '', known_on: '2024-12-01' });
      assert.equal(halfWindow.status, 422);
      assert.match(halfWindow.html, /開始日と終了日の両方を入力してください/);
      const reversed = await sec.post(`/admin/incidents/${id}`, { ...facts, card_from: '2024-07-20', card_to: '2024-07-19' });
      assert.equal(reversed.status, 422);
      assert.match(reversed.html, /終了日は開始日以降/);
      const row = await db().selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      assert.equal(row.card_from, null);
      assert.equal(row.title, '二件目');
      assert.equal(Number((await db().selectFrom('incidents').select(db().fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n), Number(before.n) + 1);

      const clerk = new Client(shop.url);
      await signedInStaff(services(), clerk, 'staff', 'clerk-inc@example.jp');
      await clerk.get('/admin/orders');
      assert.equal((await clerk.get('/admin/incidents')).status, 403);
      assert.equal((await clerk.post('/admin/incidents', { title: 'x', known_on: '2024-01-05', known_via: 'police', known_detail: '' })).status, 403);
      assert.equal((await clerk.get(`/admin/incidents/${id}/documents/ppc-final.md`)).status, 403);
    });
  });
}
