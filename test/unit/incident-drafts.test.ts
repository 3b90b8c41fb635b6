import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ppcReportDraft, publicNoticeDraft } from '../../src/incidents/drafts.js';
import type { IncidentFacts, ScopeCounts, ShopFacts } from '../../src/incidents/model.js';
import { markdownPdf } from '../../src/shared/pdf.js';
import { pdfText } from '../helpers/pdf.js';

const shop: ShopFacts = {
  company: '株式会社セントラル', shopName: 'トータル WEB SHOP', representative: '山田 一郎', postalCode: '100-0001',
  address: '東京都千代田区千代田1-1', phone: '03-0000-0000', email: 'support@example.jp', hours: '平日10時〜17時', url: 'https://shop.example.jp',
};

// The seed's incident (../shared/seed/), with its figures as a scope would produce them.
const seed: IncidentFacts = {
  number: 'INC-2024-001',
  title: 'ペイメントアプリケーションの改ざんによるカード情報等の漏えい',
  knownOn: '2024-07-17',
  knownVia: 'police',
  knownDetail: '弊社サイトを利用したお客様のクレジットカード情報の漏洩懸念について連絡を受けた。',
  cause: 'システムの一部の脆弱性をついた第三者の不正アクセスにより、ペイメントアプリケーションが改ざんされたため。',
  cases: { sensitive: false, financialDamage: true, unlawfulPurpose: true, over1000: false },
  windows: { card: { from: '2021-05-26', to: '2024-07-19' }, personal: { from: '2015-08-28', to: '2024-07-19' } },
  timeline: [
    { on: '2024-07-19', kind: 'card_payments_suspended', note: '' },
    { on: '2024-07-18', kind: 'police_report', note: '' },
    { on: '2024-09-11', kind: 'forensics_finished', note: '' },
    { on: '2024-08-21', kind: 'ppc_final', note: '' },
  ],
  secondaryDamage: '一部のお客様のクレジットカード情報が不正利用された可能性がある。',
  measures: 'システムのセキュリティ対策および監視体制を強化する。',
  cardReissueFree: true,
  otherNotes: '',
};
const scope: ScopeCounts = { snapshot: 2, card: { persons: 2460, payments: 2731 }, personal: { persons: 9120 }, recipients: { persons: 1333 }, total: { persons: 10453 } };

test('the PPC 確報 draft has every item of 施行規則第8条第1項, filled from the incident and its scope', () => {
  const md = ppcReportDraft('final', seed, scope, shop, null, '2024-09-12');
  for (const heading of ['1. 概要', '2. 漏えい等が発生し、又は発生したおそれがある個人データの項目', '3. 漏えい等が発生し、又は発生したおそれがある個人データに係る本人の数', '4. 原因', '5. 二次被害又はそのおそれの有無及びその内容', '6. 本人への対応の実施状況', '7. 公表の実施状況', '8. 再発防止のための措置', '9. その他参考となる事項']) {
    assert.ok(md.includes(`## ${heading}`), heading);
  }
  assert.match(md, /確報の期限: 2024年9月17日（事態を知った日 2024年7月17日 を1日目として60日、行政機関の休日に当たるため翌執務日）/);
  assert.match(md, /クレジットカード情報: 2,460人（決済試行2,731件）/);
  assert.match(md, /注文者・会員登録情報: 9,120人/);
  assert.match(md, /配送先情報（第三者）: 1,333人/);
  assert.match(md, /同条第2号/);
  assert.match(md, /同条第3号/);
  assert.match(md, /同条第4号。10,453人/);
  assert.match(md, /合計（重複を除く。配送先を含む）: 10,453人/); // more than 1,000 people, from the scope even though the flag was not set
  assert.doesNotMatch(md, /同条第1号/);
  assert.match(md, /2024年7月18日、所轄警察署に被害申告済み/);
  assert.match(md, /クレジットカード番号、有効期限、セキュリティコード/);
  assert.doesNotMatch(md, /調査中/);
});

test('the 速報 says which items are still being investigated instead of leaving them out', () => {
  const early: IncidentFacts = { ...seed, cause: '', secondaryDamage: '', measures: '', timeline: [{ on: '2024-07-19', kind: 'card_payments_suspended', note: '' }] };
  const md = ppcReportDraft('preliminary', early, { ...scope, snapshot: 1 }, shop, null, '2024-07-19');
  assert.match(md, /個人データの漏えい等の報告（速報）/);
  assert.match(md, /## 4. 原因\n調査中。（調査中。確報にて報告する。）/);
  assert.match(md, /## 7. 公表の実施状況\n未実施/);
});

test('the public notice follows the seed\'s structure with the numbers from the scope, recipients counted apart', () => {
  const md = publicNoticeDraft(seed, scope, shop, '2025-03-03');
  const order = ['## 1. 経緯', '## 2. 個人情報漏洩状況', '### (1) 原因', '### (2) クレジットカード情報漏洩の可能性があるお客様', '### (3) 個人情報漏洩の可能性があるお客様', '## 3. お客様へのお願い', '## 4. 再発防止策', '## 5. 報告状況', '## 6. 本件に関するお問い合わせ窓口'];
  let at = -1;
  for (const h of order) {
    const i = md.indexOf(h);
    assert.ok(i > at, `${h} in order`);
    at = i;
  }
  assert.match(md, /クレジットカード情報（2,460件）、および個人情報（9,120件、ほかにお届け先の情報1,333件）/);
  assert.match(md, /2021年5月26日〜2024年7月19日の期間中/);
  assert.match(md, /2015年8月28日〜2024年7月19日の期間中/);
  assert.match(md, /個人情報保護委員会には2024年8月21日に報告済み/);
  assert.match(md, /所轄警察署にも2024年7月18日に被害申告/);
  assert.match(md, /再発行の手数料/);
  // The notice asks for nothing: no link that asks for data.
  assert.doesNotMatch(md, /https?:\/\//);
});

test('the drafts print as a PDF with the same text', async () => {
  const pdf = await markdownPdf(ppcReportDraft('final', seed, scope, shop, null, '2024-09-12'), { title: '確報' });
  const text = pdfText(pdf).replace(/\s+/g, '');
  assert.ok(text.includes('個人データの漏えい等の報告（確報）'));
  assert.ok(text.includes('クレジットカード情報:2,460人'));
});
