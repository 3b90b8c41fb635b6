import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cancelProblem, formatTrackingNumber, jstDayStart, normaliseTrackingNumber, transitionProblem } from '../../src/checkout/admin-service.js';
import {
  B2_HEADER, b2Row, BOM, csvCell, fitWidth, ORDER_CSV_HEADER, orderCsvRows, SAGAWA_HEADER, sagawaRow, splitWidth, toCsv, toHalfWidthKana,
  zenkakuWidth, type ExportOrder,
} from '../../src/checkout/exports.js';
import type { OrderLineTable } from '../../src/checkout/tables.js';

function order(overrides: Partial<ExportOrder> = {}): ExportOrder {
  const line = (n: number, name: string, sku: string, qty: number, price: number, rate: number): OrderLineTable => ({
    id: `oln_${n}`, order_id: 'ord_TEST', line_no: n, variant_id: null, sku, name, unit_price_yen: price, quantity: qty, tax_rate: rate, line_total_yen: price * qty,
  });
  return {
    id: 'ord_TEST', order_number: '250101-ABC123', checkout_token: 't', customer_id: null, channel: 'web', entered_by: null, status: 'preparing',
    payment_method: 'cod', payment_status: 'pending',
    orderer_name: '山田 太郎', orderer_kana: 'ヤマダ タロウ', orderer_email: 'taro@example.jp', orderer_phone: '０３-1234-5678', orderer_fax: null,
    orderer_postal_code: '100-0001', orderer_prefecture: '東京都', orderer_address1: '千代田区千代田1-1', orderer_address2: 'まもりビル101',
    ship_to_orderer: 0, shipping_name: '佐藤 花子', shipping_kana: 'サトウ ハナコ', shipping_phone: '06-1111-2222', shipping_postal_code: '530-0001',
    shipping_prefecture: '大阪府', shipping_address1: '大阪市北区梅田1-1', shipping_address2: '=HYPERLINK("http://evil.example/")',
    delivery_date: '2025-01-05', delivery_slot: '午前中', note: null,
    items_total_yen: 4480, shipping_fee_yen: 0, cod_fee_yen: 330, total_yen: 4810,
    taxable_8_yen: 4480, tax_8_yen: 331, taxable_10_yen: 330, tax_10_yen: 30, rounding: 'floor', lang: 'ja', access_token_hash: 'x',
    stock_released: 0, placed_at: '2025-01-01T01:00:00.000Z', updated_at: '2025-01-01T01:00:00.000Z',
    orderer_email_key: null, orderer_phone_key: null, orderer_name_key: null, orderer_postal_key: null,
    shipping_name_key: null, shipping_phone_key: null, shipping_postal_key: null, source: 'shop', orderer_key: null, recipient_key: null,
    lines: [line(1, '深蒸し煎茶 100g', 'GT-SEN-100', 2, 1080, 8), line(2, '八女抹茶 30g', 'MT-YAM-30', 1, 2320, 8)],
    ...overrides,
  };
}

const shipper = { name: 'まもり茶舗', phone: '03-0000-0000', postalCode: '100-0001', address: '東京都千代田区千代田1-1 まもりビル2階' };

test('CSV cells: always quoted, quotes doubled, formula starts neutralised', () => {
  assert.equal(csvCell('abc'), '"abc"');
  assert.equal(csvCell('a"b'), '"a""b"');
  assert.equal(csvCell('a,b\r\nc'), '"a,b\r\nc"');
  assert.equal(csvCell(null), '""');
  assert.equal(csvCell(undefined), '""');
  assert.equal(csvCell(1200), '"1200"');
  for (const bad of ['=1+1', '+1', '-1', '@SUM(A1)', '\t=1', '\r=1', '＝1+1', '=HYPERLINK("http://x","y")']) {
    const cell = csvCell(bad);
    assert.ok(cell.startsWith(`"'`), `${JSON.stringify(bad)} → ${cell}`);
  }
  assert.equal(csvCell('=HYPERLINK("http://x")'), `"'=HYPERLINK(""http://x"")"`);
  // Ordinary text that merely contains these characters is left alone.
  assert.equal(csvCell('03-1234-5678'), '"03-1234-5678"');
  assert.equal(csvCell('a=b'), '"a=b"');
});

test('CSV files: BOM, CRLF after every line, header first', () => {
  const out = toCsv(['a', 'b'], [['1', '2'], ['x', null]]);
  assert.ok(out.startsWith(BOM));
  assert.equal(out, `${BOM}"a","b"\r\n"1","2"\r\n"x",""\r\n`);
  assert.equal(Buffer.from(out, 'utf8').subarray(0, 3).toString('hex'), 'efbbbf');
});

test('order CSV: one row per line item, destination and per-rate tax on each', () => {
  const rows = orderCsvRows([order()]);
  assert.equal(rows.length, 2);
  const col = (r: (string | number)[], name: (typeof ORDER_CSV_HEADER)[number]) => r[ORDER_CSV_HEADER.indexOf(name)];
  assert.equal(rows[0]!.length, ORDER_CSV_HEADER.length);
  assert.equal(col(rows[0]!, '注文日時'), '2025年1月1日 10:00', 'JST');
  assert.equal(col(rows[0]!, 'お届け先名'), '佐藤 花子');
  assert.equal(col(rows[1]!, 'SKU'), 'MT-YAM-30');
  assert.equal(col(rows[1]!, '8%内消費税'), 331);
  assert.equal(col(rows[0]!, '税率'), '8%');
  // An order to the orderer's own address repeats the orderer as destination.
  const own = orderCsvRows([order({ ship_to_orderer: 1, shipping_name: null })]);
  assert.equal(col(own[0]!, 'お届け先名'), '山田 太郎');
});

test('half-width kana and widths as the carriers count them', () => {
  assert.equal(toHalfWidthKana('ヤマダ タロウ'), 'ﾔﾏﾀﾞ ﾀﾛｳ');
  assert.equal(toHalfWidthKana('ガッコウ・パーク　ヴィラ'), 'ｶﾞｯｺｳ･ﾊﾟｰｸ ｳﾞｨﾗ');
  assert.equal(zenkakuWidth('ｱｲ12あ'), 3);
  assert.deepEqual(splitWidth('あいうえお', 3), ['あいう', 'えお']);
  assert.equal(fitWidth('ab漢字', 2), 'ab漢');
});

test('Yamato B2: 42 columns, コレクト for COD with amount and tax, slot codes, gift destination, shop as sender', () => {
  const row = b2Row(order(), { shipDate: '2025-01-02', shipper, billingCustomerCode: '012345678901', billingClassCode: '', freightNumber: '01' });
  assert.equal(row.length, B2_HEADER.length);
  assert.equal(B2_HEADER.length, 42);
  const col = (name: (typeof B2_HEADER)[number]) => row[B2_HEADER.indexOf(name)];
  assert.equal(col('お客様管理番号'), '250101-ABC123');
  assert.equal(col('送り状種類'), '2');
  assert.equal(col('クール区分'), '0');
  assert.equal(col('伝票番号'), '');
  assert.equal(col('出荷予定日'), '2025/01/02');
  assert.equal(col('お届け予定日'), '2025/01/05');
  assert.equal(col('配達時間帯'), '0812');
  assert.equal(col('お届け先電話番号'), '06-1111-2222');
  assert.equal(col('お届け先郵便番号'), '530-0001');
  assert.equal(col('お届け先住所'), '大阪府大阪市北区梅田1-1');
  assert.equal(col('お届け先アパートマンション名'), '=HYPERLINK("http://evil.example/")', 'neutralised when written, not here');
  assert.equal(col('お届け先名'), '佐藤 花子');
  assert.equal(col('お届け先名(ｶﾅ)'), 'ｻﾄｳ ﾊﾅｺ');
  assert.equal(col('敬称'), '様');
  assert.equal(col('ご依頼主電話番号'), '03-0000-0000');
  assert.equal(col('ご依頼主住所'), '東京都千代田区千代田1-1');
  assert.equal(col('ご依頼主アパートマンション'), 'まもりビル2階');
  assert.equal(col('ご依頼主名'), 'まもり茶舗');
  assert.equal(col('品名コード１'), 'GT-SEN-100');
  assert.equal(col('品名１'), '深蒸し煎茶 100g 他1点');
  assert.equal(col('ｺﾚｸﾄ代金引換額（税込)'), '4810');
  assert.equal(col('内消費税額等'), '361');
  assert.equal(col('請求先顧客コード'), '012345678901');
  assert.equal(col('運賃管理番号'), '01');
  // Prepaid (card/transfer): 発払い, no amount; the orderer's own address and full-width phone normalised.
  const paid = b2Row(order({ payment_method: 'card', payment_status: 'paid', ship_to_orderer: 1, delivery_slot: '19-21', delivery_date: null }), {
    shipDate: '2025-01-02', shipper, billingCustomerCode: '', billingClassCode: '', freightNumber: '',
  });
  const pcol = (name: (typeof B2_HEADER)[number]) => paid[B2_HEADER.indexOf(name)];
  assert.equal(pcol('送り状種類'), '0');
  assert.equal(pcol('ｺﾚｸﾄ代金引換額（税込)'), '');
  assert.equal(pcol('配達時間帯'), '1921');
  assert.equal(pcol('お届け予定日'), '');
  assert.equal(pcol('お届け先電話番号'), '03-1234-5678');
  assert.equal(pcol('お届け先アパートマンション名'), 'まもりビル101');
  // Written out, the hostile cell is neutralised.
  assert.ok(toCsv(B2_HEADER, [row]).includes(`"'=HYPERLINK(""http://evil.example/"")"`));
});

test('Sagawa e飛伝III: 74 columns, 16-character address and name lines, slot codes, COD amount', () => {
  const long = order({ shipping_address1: '大阪市北区梅田一丁目一番一号大阪駅前第一ビル', shipping_name: 'とても長いお名前の株式会社まもり物流センター御中' });
  const row = sagawaRow(long, { shipDate: '2025-01-02', shipper, customerCode: '123456789012' });
  assert.equal(SAGAWA_HEADER.length, 74);
  assert.equal(row.length, 74);
  const col = (name: (typeof SAGAWA_HEADER)[number]) => row[SAGAWA_HEADER.indexOf(name)]!;
  assert.equal(col('お届け先住所１') + col('お届け先住所２'), '大阪府大阪市北区梅田一丁目一番一号大阪駅前第一ビル');
  assert.ok(zenkakuWidth(col('お届け先住所１')) <= 16);
  assert.equal(col('お届け先住所３'), '=HYPERLINK("http://evil.example/")');
  assert.equal(col('お届け先名称１') + col('お届け先名称２'), 'とても長いお名前の株式会社まもり物流センター御中');
  assert.equal(col('お客様管理番号'), '250101-ABC123');
  assert.equal(col('お客様コード'), '123456789012');
  assert.equal(col('配達日'), '20250105');
  assert.equal(col('配達指定時間帯'), '01');
  assert.equal(col('代引金額'), '4810');
  assert.equal(col('消費税'), '361');
  assert.equal(col('品名１'), '深蒸し煎茶 100g');
  assert.equal(col('品名２'), '八女抹茶 30g');
  assert.equal(col('元着区分'), '1');
  assert.equal(col('出荷日'), '20250102');
  assert.equal(col('出荷個数'), '1');
});

test('tracking numbers: digits and hyphens, 10–14 digits, any width', () => {
  assert.equal(normaliseTrackingNumber('1234-5678-9012'), '123456789012');
  assert.equal(normaliseTrackingNumber('１２３４－５６７８－９０１２'), '123456789012');
  assert.equal(normaliseTrackingNumber(' 1234567890 '), '1234567890');
  for (const bad of ['123456789', '123456789012345', '1234 5678 9012', '-123456789012', '1234--56789012', 'ABCD12345678', '']) {
    assert.equal(normaliseTrackingNumber(bad), null, bad);
  }
  assert.equal(formatTrackingNumber('123456789012'), '1234-5678-9012');
});

test('status flow: forward along valid edges only; transfers need payment, COD does not', () => {
  const ok = (method: 'card' | 'bank_transfer' | 'cod', status: string, to: string) =>
    transitionProblem({ payment_method: method, status: status as never, payment_status: 'pending' }, to as never) === null;
  assert.equal(ok('cod', 'new', 'preparing'), true);
  assert.equal(ok('bank_transfer', 'new', 'preparing'), false);
  assert.equal(ok('bank_transfer', 'paid', 'preparing'), true);
  assert.equal(ok('card', 'pending_payment', 'preparing'), false);
  assert.equal(ok('card', 'paid', 'preparing'), true);
  assert.equal(ok('card', 'preparing', 'shipped'), true);
  assert.equal(ok('card', 'shipped', 'delivered'), true);
  assert.equal(ok('card', 'shipped', 'preparing'), false);
  assert.equal(ok('cod', 'preparing', 'delivered'), false);
  assert.equal(ok('cod', 'new', 'paid'), false);
  assert.equal(ok('cod', 'delivered', 'shipped'), false);
  assert.equal(ok('cod', 'cancelled', 'new'), false);
  assert.match(transitionProblem({ payment_method: 'card', status: 'paid', payment_status: 'refunded' }, 'preparing') ?? '', /返金済み/);
  const s = (status: string) => ({ payment_method: 'card' as const, status: status as never, payment_status: 'paid' as const });
  assert.equal(cancelProblem(s('paid'), true), 'カード決済済みのご注文です。先に返金するか、「カード決済を全額返金してキャンセル」を選んでください。');
  assert.equal(cancelProblem(s('paid'), true, true), null);
  assert.equal(cancelProblem(s('paid'), false), null);
  assert.match(cancelProblem(s('shipped'), false) ?? '', /発送済み/);
  assert.match(cancelProblem(s('pending_payment'), false) ?? '', /手続き中/);
});

test('JST day boundaries', () => {
  assert.equal(jstDayStart('2025-01-01'), '2024-12-31T15:00:00.000Z');
});
