import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBounces } from '../../src/incidents/notices/bounces.js';
import { lettersPdf, mailingCsv, type Letter } from '../../src/incidents/notices/letters.js';
import { exposedLines, NOTICE_TEMPLATE, renderNotice, type NoticeSubject } from '../../src/incidents/notices/render.js';
import { parseCsv } from '../helpers/csv.js';
import { pdfPages, pdfText } from '../helpers/pdf.js';

const buyer: NoticeSubject = {
  type: 'person',
  contact: { name: '山田 太郎', email: 'taro@example.jp', postalCode: '100-0001', prefecture: '東京都', address1: '千代田区千代田1-1', address2: 'まもりビル101' },
  card: [
    { date: '2023-05-02', brand: 'visa', last4: '4242' },
    { date: '2023-05-02', brand: 'visa', last4: '4242' },
    { date: '2024-01-10', brand: 'jcb', last4: '0005' },
  ],
  personal: { items: ['name', 'address', 'email', 'phone'] },
  recipient: null,
};
const ctx = { shopName: 'まもり茶舗', company: '株式会社まもり', contact: '03-0000-0000（平日10時〜17時） support@example.jp', cardReissueFree: true };

test('a notice lists only that person\'s own items, in words, and no link', () => {
  assert.deepEqual(exposedLines(buyer), [
    '・クレジットカード情報（カード番号・有効期限・セキュリティコード）: Visa 末尾4242（2023年5月2日のご利用）',
    '・クレジットカード情報（カード番号・有効期限・セキュリティコード）: JCB 末尾0005（2024年1月10日のご利用）',
    '・ご注文者・会員としてご登録の情報: 氏名、住所、メールアドレス、電話番号',
  ]);
  const { subject, text } = renderNotice(NOTICE_TEMPLATE, buyer, 'N-INC-2024-001-000123', ctx);
  assert.equal(subject, '【まもり茶舗】個人情報漏えいに関するお詫びとお知らせ（N-INC-2024-001-000123）');
  assert.match(text, /^山田 太郎 様/);
  assert.match(text, /Visa 末尾4242/);
  assert.match(text, /再発行の手数料はお客様のご負担とならない/);
  assert.match(text, /お知らせ番号 N-INC-2024-001-000123/);
  assert.doesNotMatch(text, /https?:\/\/|www\./);
  assert.doesNotMatch(text, /\{\{/);

  const recipient: NoticeSubject = { ...buyer, type: 'recipient', card: [], personal: null, recipient: { items: ['name', 'address', 'phone'] } };
  const r = renderNotice(NOTICE_TEMPLATE, recipient, 'N-1', ctx);
  assert.match(r.text, /お届け先としてご指定いただいた情報: 氏名、住所、電話番号/);
  assert.doesNotMatch(r.text, /クレジットカード情報|ご利用明細/);
});

test('bounces: DSN messages count only permanent failures; plain lists and CSVs are read by their first column', () => {
  const dsn = [
    'Content-Type: message/delivery-status', '', 'Reporting-MTA: dns; mx.example.jp', '',
    'Final-Recipient: rfc822; Taro@Example.jp', 'Action: failed', 'Status: 5.1.1', '',
    'Final-Recipient: rfc822; <slow@example.jp>', 'Action: delayed', 'Status: 4.4.1', '',
    'Final-Recipient: rfc822; full@example.jp', 'Action: failed', 'Status: 5.2.2', '',
  ].join('\r\n');
  assert.deepEqual(parseBounces(dsn), { addresses: ['full@example.jp', 'taro@example.jp'], ignored: 1 });
  // A DSN part on its own, starting at the first line.
  assert.deepEqual(parseBounces('Final-Recipient: rfc822; x@example.jp\nAction: failed\nStatus: 5.1.1\n'), { addresses: ['x@example.jp'], ignored: 0 });
  assert.deepEqual(parseBounces('# bounces\nA@example.jp\n"b@example.jp",550 no such user\nnot an address\n\n'), { addresses: ['a@example.jp', 'b@example.jp'], ignored: 1 });
});

test('letters: one PDF per batch with the window-envelope address block, reference on every page; the mailing CSV matches it', async () => {
  const letters: Letter[] = [
    { reference: 'N-1', postalCode: '100-0001', prefecture: '東京都', address1: '千代田区千代田1-1', address2: 'まもりビル101', name: '山田 太郎', subject: 'お詫びとお知らせ', text: 'short' },
    { reference: 'N-2', postalCode: '530-0001', prefecture: '大阪府', address1: '大阪市北区梅田1-1', address2: null, name: '佐藤 花子', subject: 'お詫びとお知らせ', text: 'あ'.repeat(40) + '\n'.repeat(1) + ('長い本文です。'.repeat(30) + '\n').repeat(12) },
  ];
  const { pdf, pages } = await lettersPdf(letters, { company: '株式会社まもり', postalCode: '100-0001', address: '東京都千代田区千代田1-1', phone: '03-0000-0000' }, '2025年3月3日', { title: 'letters' });
  assert.equal(pages[0], 1);
  assert.ok(pages[1]! >= 2, `long letter spans pages (${pages[1]})`);
  assert.equal(pdfPages(pdf), pages[0]! + pages[1]!);
  const text = pdfText(pdf);
  assert.match(text, /〒100-0001/);
  assert.match(text, /山田 太郎 様/);
  assert.match(text, /佐藤 花子 様/);
  assert.match(text, /N-2 2\/\d/);
  const rows = parseCsv(mailingCsv(letters, pages).slice(1));
  assert.deepEqual(rows[1], ['N-1', '100-0001', '東京都千代田区千代田1-1', 'まもりビル101', '山田 太郎', '様', '1', '1-1']);
  assert.equal(rows[2]![7], `2-${1 + pages[1]!}`);
});
