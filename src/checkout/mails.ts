import type { OutgoingMail } from '../notify/outbox.js';
import { pickTemplate, renderTemplate, yen, type MailTemplateSpec } from '../notify/template.js';
import type { ShopSettings } from '../settings/defaults.js';
import { addDays, formatDateJa, jstDate } from '../shared/time.js';
import type { OrderLineTable, OrderTable } from './tables.js';

export const PAYMENT_LABELS: Record<string, string> = {
  card: 'クレジットカード',
  bank_transfer: '銀行振込（前払い）',
  cod: '代金引換',
  postal_transfer: '郵便振替（前払い）',
};

const ORDER_CONFIRMATION = `{{name}} 様

{{shopName}}をご利用いただき、誠にありがとうございます。
以下の内容でご注文を承りました。

━━━━━━━━━━━━━━━━━━━━
ご注文番号: {{orderNumber}}
ご注文日時: {{placedAt}}
お支払い方法: {{paymentMethod}}
━━━━━━━━━━━━━━━━━━━━
{{lines}}

商品合計: {{itemsTotal}}
送料: {{shippingFee}}
{{codFeeLine}}合計（税込）: {{total}}
（10%対象 {{taxable10}} 内消費税 {{tax10}} / 8%対象 {{taxable8}} 内消費税 {{tax8}}）
※「*」は軽減税率（8%）対象商品です。

■ ご注文者
{{orderer}}

■ お届け先
{{destination}}

■ お届け希望日時
{{delivery}}
{{paymentInstructions}}
ご注文内容と領収書（適格請求書）は次のページでいつでもご確認いただけます。
{{orderUrl}}

このメールにクレジットカード番号などの入力をお願いするリンクは含まれていません。
不審なメールにご注意ください。

--
{{shopName}}
{{shopAddress}}
TEL {{shopPhone}} / {{shopEmail}}
{{shopHours}}
`;

export const ORDER_MAIL_TEMPLATES: Record<'order_confirmation', MailTemplateSpec> = {
  order_confirmation: {
    label: 'ご注文確認メール',
    subject: '【{{shopName}}】ご注文ありがとうございます（ご注文番号 {{orderNumber}}）',
    body: ORDER_CONFIRMATION,
    placeholders: [
      'name', 'shopName', 'orderNumber', 'placedAt', 'paymentMethod', 'lines', 'itemsTotal', 'shippingFee', 'codFeeLine', 'total',
      'taxable10', 'tax10', 'taxable8', 'tax8', 'orderer', 'destination', 'delivery', 'paymentInstructions', 'orderUrl',
      'shopAddress', 'shopPhone', 'shopEmail', 'shopHours',
    ],
    required: ['orderNumber', 'lines', 'total', 'paymentInstructions'],
  },
};

export function orderConfirmationMail(input: {
  order: OrderTable;
  lines: OrderLineTable[];
  settings: ShopSettings;
  orderUrl: string;
}): OutgoingMail | null {
  const { order, settings: s } = input;
  if (!order.orderer_email) return null;
  const template = pickTemplate(ORDER_MAIL_TEMPLATES.order_confirmation, s.mail.overrides.order_confirmation);
  const vars = {
    name: order.orderer_name,
    shopName: s.shop.name,
    orderNumber: order.order_number,
    placedAt: new Date(order.placed_at).toLocaleString('ja-JP', { timeZone: 'Asia/Tokyo' }),
    paymentMethod: PAYMENT_LABELS[order.payment_method] ?? order.payment_method,
    lines: input.lines
      .map((l) => `${l.tax_rate === 8 ? '*' : ' '}${l.name}（${l.sku}） ${yen(l.unit_price_yen)} × ${l.quantity} = ${yen(l.line_total_yen)}`)
      .join('\n'),
    itemsTotal: yen(order.items_total_yen),
    shippingFee: yen(order.shipping_fee_yen),
    codFeeLine: order.cod_fee_yen > 0 ? `代引き手数料: ${yen(order.cod_fee_yen)}\n` : '',
    total: yen(order.total_yen),
    taxable10: yen(order.taxable_10_yen),
    tax10: yen(order.tax_10_yen),
    taxable8: yen(order.taxable_8_yen),
    tax8: yen(order.tax_8_yen),
    orderer: addressBlock({
      name: order.orderer_name,
      postalCode: order.orderer_postal_code,
      prefecture: order.orderer_prefecture,
      address1: order.orderer_address1,
      address2: order.orderer_address2,
      phone: order.orderer_phone,
      fax: order.orderer_fax,
    }),
    destination: order.ship_to_orderer
      ? 'ご注文者と同じ'
      : addressBlock({
          name: order.shipping_name ?? '',
          postalCode: order.shipping_postal_code ?? '',
          prefecture: order.shipping_prefecture ?? '',
          address1: order.shipping_address1 ?? '',
          address2: order.shipping_address2,
          phone: order.shipping_phone ?? '',
          fax: null,
        }),
    delivery: `${order.delivery_date ? formatDateJa(order.delivery_date) : '指定なし'} ${order.delivery_slot ?? ''}`.trim(),
    paymentInstructions:
      order.payment_method === 'bank_transfer' ? `\n${bankTransferText(s, order)}\n`
        : order.payment_method === 'postal_transfer' ? `\n${postalTransferText(s, order)}\n` : '',
    orderUrl: input.orderUrl,
    shopAddress: `〒${s.shop.postalCode} ${s.shop.address}`,
    shopPhone: s.shop.phone,
    shopEmail: s.shop.email,
    shopHours: s.shop.hours,
  };
  return {
    dedupeKey: `order-confirmation:${order.id}`,
    kind: 'order_confirmation',
    to: order.orderer_email,
    subject: renderTemplate(template.subject, vars),
    text: renderTemplate(template.body, vars),
  };
}

export function bankTransferDue(settings: ShopSettings, order: Pick<OrderTable, 'placed_at'>): string {
  return addDays(jstDate(new Date(order.placed_at)), settings.bank.dueDays);
}

export function bankTransferText(s: ShopSettings, order: Pick<OrderTable, 'placed_at' | 'total_yen' | 'order_number'>): string {
  return [
    '■ お振込先',
    `${s.bank.bankName} ${s.bank.branchName} ${s.bank.accountType} ${s.bank.accountNumber}`,
    `口座名義: ${s.bank.accountHolder}`,
    `お振込金額: ${yen(order.total_yen)}`,
    `お振込期限: ${formatDateJa(bankTransferDue(s, order))}`,
    `※ ご依頼人名の前にご注文番号（${order.order_number}）をご入力ください。振込手数料はお客様のご負担となります。`,
  ].join('\n');
}

export function postalTransferDue(settings: ShopSettings, order: Pick<OrderTable, 'placed_at'>): string {
  return addDays(jstDate(new Date(order.placed_at)), settings.postal.dueDays);
}

/** 郵便振替: the account (記号番号 and 加入者名) shown to the buyer, like the bank account for a bank transfer. */
export function postalTransferText(s: ShopSettings, order: Pick<OrderTable, 'placed_at' | 'total_yen' | 'order_number'>): string {
  return [
    '■ 郵便振替のお払込先',
    `口座記号番号: ${s.postal.accountNumber}`,
    `加入者名: ${s.postal.accountHolder}`,
    `お払込金額: ${yen(order.total_yen)}`,
    `お払込期限: ${formatDateJa(postalTransferDue(s, order))}`,
    `※ 払込取扱票の通信欄にご注文番号（${order.order_number}）をご記入ください。払込手数料はお客様のご負担となります。`,
  ].join('\n');
}

function addressBlock(a: { name: string; postalCode: string; prefecture: string; address1: string; address2: string | null; phone: string; fax: string | null }): string {
  return [
    `${a.name} 様`,
    `〒${a.postalCode} ${a.prefecture}${a.address1}${a.address2 ? ` ${a.address2}` : ''}`,
    `TEL ${a.phone}${a.fax ? ` / FAX ${a.fax}` : ''}`,
  ].join('\n');
}
