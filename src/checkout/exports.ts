/**
 * CSV files of the order back office: the order list (one row per line item) and the shipping
 * label files that Japanese shops import into the carriers' systems — Yamato B2 Cloud and Sagawa
 * e飛伝III (one row per parcel, i.e. per order).
 *
 * Every file is UTF-8 with a BOM and CRLF line ends, every field quoted, and every cell that a
 * spreadsheet would read as a formula is neutralised with a leading apostrophe (CSV injection).
 * The carriers document their import files as Shift_JIS; Node has no Shift_JIS encoder, so the
 * carrier files are UTF-8 with a BOM too (docs/admin.md says how to convert them when needed).
 */
import { nfkc } from '../shared/jp.js';
import { formatInstantJa } from '../shared/time.js';
import type { OrderLineTable, OrderTable } from './tables.js';

export { BOM, csvCell, toCsv } from '../shared/csv.js';

export type ExportOrder = OrderTable & { lines: OrderLineTable[] };

/** The shop as the sender (ご依頼主) of every parcel. */
export interface Shipper {
  name: string;
  phone: string;
  postalCode: string;
  /** One line as kept in the settings; split into street and building at the first space. */
  address: string;
}

/** Where the parcel goes: the other destination of a gift, or the orderer. */
export function destinationOf(o: OrderTable): { name: string; kana: string; phone: string; postalCode: string; prefecture: string; address1: string; address2: string } {
  if (o.ship_to_orderer) {
    return {
      name: o.orderer_name, kana: o.orderer_kana ?? '', phone: o.orderer_phone, postalCode: o.orderer_postal_code,
      prefecture: o.orderer_prefecture, address1: o.orderer_address1, address2: o.orderer_address2 ?? '',
    };
  }
  return {
    name: o.shipping_name ?? '', kana: o.shipping_kana ?? '', phone: o.shipping_phone ?? '', postalCode: o.shipping_postal_code ?? '',
    prefecture: o.shipping_prefecture ?? '', address1: o.shipping_address1 ?? '', address2: o.shipping_address2 ?? '',
  };
}

export const STATUS_LABELS: Record<string, string> = {
  pending_payment: '決済待ち', new: '新規', paid: '入金済み', preparing: '発送準備中', shipped: '発送済み', delivered: '配達完了', cancelled: 'キャンセル',
};
export const PAYMENT_STATUS_LABELS: Record<string, string> = {
  pending: '未入金', paid: '入金済み', failed: '決済失敗', refunded: '返金済み', cancelled: '取消',
};
export const METHOD_LABELS: Record<string, string> = { card: 'クレジットカード', bank_transfer: '銀行振込', cod: '代金引換', postal_transfer: '郵便振替' };
/** Where an order came from (issue #9): the web shop, or staff entering a phone, FAX or postcard order. */
export const CHANNEL_LABELS: Record<string, string> = { web: 'Web', phone: '電話', fax: 'FAX', postcard: 'はがき', other: 'その他' };

// ---------------------------------------------------------------------------------------------
// Order CSV: one row per line item.

export const ORDER_CSV_HEADER = [
  '注文番号', '注文日時', '状態', '支払方法', '支払状況',
  '注文者名', '注文者フリガナ', '注文者メール', '注文者電話番号', '注文者郵便番号', '注文者住所', '注文者住所2',
  'お届け先名', 'お届け先フリガナ', 'お届け先電話番号', 'お届け先郵便番号', 'お届け先住所', 'お届け先住所2',
  'お届け希望日', 'お届け時間帯', '備考',
  '明細番号', 'SKU', '商品名', '単価（税込）', '数量', '税率', '明細金額',
  '商品合計', '送料', '代引手数料', '合計（税込）', '10%対象', '10%内消費税', '8%対象', '8%内消費税',
  '受付経路', '入力スタッフID',
] as const;

export function orderCsvRows(orders: readonly ExportOrder[]): (string | number)[][] {
  const rows: (string | number)[][] = [];
  for (const o of orders) {
    const d = destinationOf(o);
    const head = [
      o.order_number, formatInstantJa(o.placed_at), STATUS_LABELS[o.status] ?? o.status, METHOD_LABELS[o.payment_method] ?? o.payment_method,
      PAYMENT_STATUS_LABELS[o.payment_status] ?? o.payment_status,
      o.orderer_name, o.orderer_kana ?? '', o.orderer_email ?? '', o.orderer_phone, o.orderer_postal_code, `${o.orderer_prefecture}${o.orderer_address1}`, o.orderer_address2 ?? '',
      d.name, d.kana, d.phone, d.postalCode, `${d.prefecture}${d.address1}`, d.address2,
      o.delivery_date ?? '', o.delivery_slot ?? '', o.note ?? '',
    ];
    const tail = [
      o.items_total_yen, o.shipping_fee_yen, o.cod_fee_yen, o.total_yen, o.taxable_10_yen, o.tax_10_yen, o.taxable_8_yen, o.tax_8_yen,
      CHANNEL_LABELS[o.channel] ?? o.channel, o.entered_by ?? '',
    ];
    for (const l of o.lines) {
      rows.push([...head, l.line_no, l.sku, l.name, l.unit_price_yen, l.quantity, `${l.tax_rate}%`, l.line_total_yen, ...tail]);
    }
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Shared helpers for the carrier files.

/** Width as the carriers count it: full-width characters 1, ASCII and half-width kana ½. */
export function zenkakuWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    w += (c >= 0x20 && c <= 0x7e) || (c >= 0xff61 && c <= 0xff9f) ? 0.5 : 1;
  }
  return w;
}

/** Splits text at a width: [what fits, the rest]. */
export function splitWidth(s: string, max: number): [string, string] {
  let w = 0;
  let i = 0;
  const chars = [...s];
  for (; i < chars.length; i++) {
    const c = chars[i]!.codePointAt(0) ?? 0;
    const cw = (c >= 0x20 && c <= 0x7e) || (c >= 0xff61 && c <= 0xff9f) ? 0.5 : 1;
    if (w + cw > max) break;
    w += cw;
  }
  return [chars.slice(0, i).join(''), chars.slice(i).join('')];
}

/** Cuts text to a width. */
export function fitWidth(s: string, max: number): string {
  return splitWidth(s, max)[0];
}

const HALF_KANA: Record<string, string> = {
  ア: 'ｱ', イ: 'ｲ', ウ: 'ｳ', エ: 'ｴ', オ: 'ｵ', カ: 'ｶ', キ: 'ｷ', ク: 'ｸ', ケ: 'ｹ', コ: 'ｺ',
  サ: 'ｻ', シ: 'ｼ', ス: 'ｽ', セ: 'ｾ', ソ: 'ｿ', タ: 'ﾀ', チ: 'ﾁ', ツ: 'ﾂ', テ: 'ﾃ', ト: 'ﾄ',
  ナ: 'ﾅ', ニ: 'ﾆ', ヌ: 'ﾇ', ネ: 'ﾈ', ノ: 'ﾉ', ハ: 'ﾊ', ヒ: 'ﾋ', フ: 'ﾌ', ヘ: 'ﾍ', ホ: 'ﾎ',
  マ: 'ﾏ', ミ: 'ﾐ', ム: 'ﾑ', メ: 'ﾒ', モ: 'ﾓ', ヤ: 'ﾔ', ユ: 'ﾕ', ヨ: 'ﾖ',
  ラ: 'ﾗ', リ: 'ﾘ', ル: 'ﾙ', レ: 'ﾚ', ロ: 'ﾛ', ワ: 'ﾜ', ヲ: 'ｦ', ン: 'ﾝ',
  ァ: 'ｧ', ィ: 'ｨ', ゥ: 'ｩ', ェ: 'ｪ', ォ: 'ｫ', ッ: 'ｯ', ャ: 'ｬ', ュ: 'ｭ', ョ: 'ｮ', ヮ: 'ﾜ', ヵ: 'ｶ', ヶ: 'ｹ', ヰ: 'ｲ', ヱ: 'ｴ',
  ガ: 'ｶﾞ', ギ: 'ｷﾞ', グ: 'ｸﾞ', ゲ: 'ｹﾞ', ゴ: 'ｺﾞ', ザ: 'ｻﾞ', ジ: 'ｼﾞ', ズ: 'ｽﾞ', ゼ: 'ｾﾞ', ゾ: 'ｿﾞ',
  ダ: 'ﾀﾞ', ヂ: 'ﾁﾞ', ヅ: 'ﾂﾞ', デ: 'ﾃﾞ', ド: 'ﾄﾞ', バ: 'ﾊﾞ', ビ: 'ﾋﾞ', ブ: 'ﾌﾞ', ベ: 'ﾍﾞ', ボ: 'ﾎﾞ',
  パ: 'ﾊﾟ', ピ: 'ﾋﾟ', プ: 'ﾌﾟ', ペ: 'ﾍﾟ', ポ: 'ﾎﾟ', ヴ: 'ｳﾞ', ヷ: 'ﾜﾞ', ヺ: 'ｦﾞ',
  ー: 'ｰ', '・': '･', '　': ' ', '、': '､', '。': '｡', '「': '｢', '」': '｣',
};

/** Full-width katakana (as フリガナ are stored) to the half-width kana the carriers' カナ fields take. */
export function toHalfWidthKana(s: string): string {
  let out = '';
  for (const ch of nfkc(s)) out += HALF_KANA[ch] ?? ch;
  return out;
}

/** Phone numbers as the carriers take them: ASCII digits and hyphens only. */
export function carrierPhone(s: string): string {
  return nfkc(s).replace(/[^\d-]/g, '');
}

function splitShipperAddress(address: string): [string, string] {
  const a = address.trim();
  const m = /^(\S+)[\s\u3000]+(.+)$/.exec(a);
  return m ? [m[1]!, m[2]!] : [a, ''];
}

/** Item names for a label: the first line's name, and " 他N点" when there are more lines. */
function itemSummary(lines: readonly OrderLineTable[], max: number): string {
  const first = lines[0];
  if (!first) return '';
  const more = lines.length > 1 ? ` 他${lines.length - 1}点` : '';
  return `${fitWidth(first.name, max - zenkakuWidth(more))}${more}`;
}

// ---------------------------------------------------------------------------------------------
// Yamato B2 Cloud (送り状発行システムB2クラウド, 外部データ取込 — the 42 standard columns).

export const B2_HEADER = [
  'お客様管理番号', '送り状種類', 'クール区分', '伝票番号', '出荷予定日', 'お届け予定日', '配達時間帯', 'お届け先コード',
  'お届け先電話番号', 'お届け先電話番号枝番', 'お届け先郵便番号', 'お届け先住所', 'お届け先アパートマンション名',
  'お届け先会社・部門１', 'お届け先会社・部門２', 'お届け先名', 'お届け先名(ｶﾅ)', '敬称',
  'ご依頼主コード', 'ご依頼主電話番号', 'ご依頼主電話番号枝番', 'ご依頼主郵便番号', 'ご依頼主住所', 'ご依頼主アパートマンション',
  'ご依頼主名', 'ご依頼主名(ｶﾅ)', '品名コード１', '品名１', '品名コード２', '品名２', '荷扱い１', '荷扱い２', '記事',
  'ｺﾚｸﾄ代金引換額（税込)', '内消費税額等', '止置き', '営業所コード', '発行枚数', '個数口表示フラグ',
  '請求先顧客コード', '請求先分類コード', '運賃管理番号',
] as const;

/** B2 配達時間帯 codes for the shop's delivery slots. */
export const B2_SLOT_CODES: Record<string, string> = { 午前中: '0812', '14-16': '1416', '16-18': '1618', '18-20': '1820', '19-21': '1921' };

export interface B2Options {
  /** 出荷予定日, `YYYY-MM-DD`. */
  shipDate: string;
  shipper: Shipper;
  /** ご請求先顧客コード (10–12 digits) and 運賃管理番号 (2 digits) from the shop's Yamato contract; B2 needs them for 発払い. */
  billingCustomerCode: string;
  billingClassCode: string;
  freightNumber: string;
}

export function b2Row(o: ExportOrder, opts: B2Options): string[] {
  const d = destinationOf(o);
  const cod = o.payment_method === 'cod';
  const [shipperStreet, shipperBuilding] = splitShipperAddress(opts.shipper.address);
  const row = new Array<string>(B2_HEADER.length).fill('');
  const set = (col: (typeof B2_HEADER)[number], v: string) => {
    row[B2_HEADER.indexOf(col)] = v;
  };
  set('お客様管理番号', o.order_number);
  // 0: 発払い, 2: コレクト (代金引換).
  set('送り状種類', cod ? '2' : '0');
  set('クール区分', '0');
  set('出荷予定日', opts.shipDate.replace(/-/g, '/'));
  set('お届け予定日', o.delivery_date ? o.delivery_date.replace(/-/g, '/') : '');
  set('配達時間帯', o.delivery_slot ? (B2_SLOT_CODES[o.delivery_slot] ?? '') : '');
  set('お届け先電話番号', carrierPhone(d.phone));
  set('お届け先郵便番号', d.postalCode);
  set('お届け先住所', `${d.prefecture}${d.address1}`);
  set('お届け先アパートマンション名', d.address2);
  set('お届け先名', d.name);
  set('お届け先名(ｶﾅ)', fitWidth(toHalfWidthKana(d.kana), 25));
  set('敬称', '様');
  set('ご依頼主電話番号', carrierPhone(opts.shipper.phone));
  set('ご依頼主郵便番号', opts.shipper.postalCode);
  set('ご依頼主住所', shipperStreet);
  set('ご依頼主アパートマンション', shipperBuilding);
  set('ご依頼主名', opts.shipper.name);
  const first = o.lines[0];
  set('品名コード１', first ? first.sku.slice(0, 30) : '');
  set('品名１', itemSummary(o.lines, 25));
  if (cod) {
    set('ｺﾚｸﾄ代金引換額（税込)', String(o.total_yen));
    set('内消費税額等', String(o.tax_8_yen + o.tax_10_yen));
  }
  set('請求先顧客コード', opts.billingCustomerCode);
  set('請求先分類コード', opts.billingClassCode);
  set('運賃管理番号', opts.freightNumber);
  return row;
}

// ---------------------------------------------------------------------------------------------
// Sagawa e飛伝III (CSV取込, the 74 standard columns).

export const SAGAWA_HEADER = [
  'お届け先コード取得区分', 'お届け先コード', 'お届け先電話番号', 'お届け先郵便番号', 'お届け先住所１', 'お届け先住所２', 'お届け先住所３',
  'お届け先名称１', 'お届け先名称２', 'お客様管理番号', 'お客様コード', '部署ご担当者コード取得区分', '部署ご担当者コード', '部署ご担当者名称',
  '荷送人電話番号', 'ご依頼主コード取得区分', 'ご依頼主コード', 'ご依頼主電話番号', 'ご依頼主郵便番号', 'ご依頼主住所１', 'ご依頼主住所２',
  'ご依頼主名称１', 'ご依頼主名称２', '荷姿', '品名１', '品名２', '品名３', '品名４', '品名５',
  '荷札荷姿', '荷札品名１', '荷札品名２', '荷札品名３', '荷札品名４', '荷札品名５', '荷札品名６', '荷札品名７', '荷札品名８', '荷札品名９', '荷札品名１０', '荷札品名１１',
  '出荷個数', 'スピード指定', 'クール便指定', '配達日', '配達指定時間帯', '配達指定時間（時分）', '代引金額', '消費税', '決済種別', '保険金額',
  '指定シール１', '指定シール２', '指定シール３', '営業所受取', 'ＳＲＣ区分', '営業所受取営業所コード', '元着区分', 'メールアドレス', 'ご不在時連絡先',
  '出荷日', 'お問い合せ送り状No.', '出荷場印字区分', '集約解除指定',
  '編集０１', '編集０２', '編集０３', '編集０４', '編集０５', '編集０６', '編集０７', '編集０８', '編集０９', '編集１０',
] as const;

/** e飛伝 配達指定時間帯 codes (six-slot option: 01 午前中, 12, 14, 16, 18, 19). */
export const SAGAWA_SLOT_CODES: Record<string, string> = { 午前中: '01', '14-16': '14', '16-18': '16', '18-20': '18', '19-21': '19' };

export interface SagawaOptions {
  shipDate: string;
  shipper: Shipper;
  /** お客様コード of the shop's Sagawa contract (optional: e飛伝 fills in the logged-in one). */
  customerCode: string;
}

export function sagawaRow(o: ExportOrder, opts: SagawaOptions): string[] {
  const d = destinationOf(o);
  const cod = o.payment_method === 'cod';
  const row = new Array<string>(SAGAWA_HEADER.length).fill('');
  const set = (col: (typeof SAGAWA_HEADER)[number], v: string) => {
    row[SAGAWA_HEADER.indexOf(col)] = v;
  };
  // Address lines are 16 full-width characters each: street over 住所１/２, the building in 住所３.
  const [addr1, rest] = splitWidth(`${d.prefecture}${d.address1}`, 16);
  const [name1, name2] = splitWidth(d.name, 16);
  const [shipperStreet, shipperBuilding] = splitShipperAddress(opts.shipper.address);
  set('お届け先電話番号', carrierPhone(d.phone));
  set('お届け先郵便番号', d.postalCode);
  set('お届け先住所１', addr1);
  set('お届け先住所２', rest);
  set('お届け先住所３', d.address2);
  set('お届け先名称１', name1);
  set('お届け先名称２', name2);
  set('お客様管理番号', o.order_number);
  set('お客様コード', opts.customerCode);
  set('荷送人電話番号', carrierPhone(opts.shipper.phone));
  set('ご依頼主電話番号', carrierPhone(opts.shipper.phone));
  set('ご依頼主郵便番号', opts.shipper.postalCode);
  set('ご依頼主住所１', shipperStreet);
  set('ご依頼主住所２', shipperBuilding);
  set('ご依頼主名称１', opts.shipper.name);
  set('荷姿', '001');
  const names = o.lines.slice(0, 5).map((l) => fitWidth(l.name, 16));
  if (o.lines.length > 5) names[4] = `${fitWidth(o.lines[4]!.name, 11)} 他${o.lines.length - 4}点`;
  names.forEach((n, i) => set(`品名${['１', '２', '３', '４', '５'][i]!}` as (typeof SAGAWA_HEADER)[number], n));
  set('出荷個数', '1');
  set('スピード指定', '000');
  set('クール便指定', '001');
  set('配達日', o.delivery_date ? o.delivery_date.replace(/-/g, '') : '');
  set('配達指定時間帯', o.delivery_slot ? (SAGAWA_SLOT_CODES[o.delivery_slot] ?? '') : '');
  if (cod) {
    set('代引金額', String(o.total_yen));
    set('消費税', String(o.tax_8_yen + o.tax_10_yen));
  }
  // 1: 元払い (the shop pays the carriage).
  set('元着区分', '1');
  set('出荷日', opts.shipDate.replace(/-/g, ''));
  return row;
}
