import { renderTemplate, type MailTemplateSpec } from '../../notify/template.js';
import { formatDateJa } from '../../shared/time.js';

/**
 * The per-person notice (お詫びとお知らせ): one text per affected person or recipient, listing only
 * that person's own exposed items. Plain text from an editable template with `{{placeholders}}`;
 * the same text goes into the e-mail and the letter. It contains no link that asks for data — a
 * notice people have been told to expect is the phisher's favourite template.
 */
export type PersonalItem = 'name' | 'address' | 'email' | 'phone' | 'fax';

/** What a notice needs of a scope entry (the shape `incident scope --out` writes). */
export interface NoticeSubject {
  type: 'person' | 'recipient';
  contact: { name: string; email: string | null; postalCode: string; prefecture: string; address1: string; address2: string | null };
  card: { date: string; brand: string | null; last4: string | null }[];
  personal: { items: PersonalItem[] } | null;
  recipient: { items: PersonalItem[] } | null;
}

export const ITEM_JA: Record<PersonalItem, string> = { name: '氏名', address: '住所', email: 'メールアドレス', phone: '電話番号', fax: 'FAX番号' };
const BRAND_JA: Record<string, string> = { visa: 'Visa', mastercard: 'Mastercard', jcb: 'JCB', amex: 'American Express', diners: 'Diners Club', discover: 'Discover' };

const day = (d: string) => formatDateJa(d).replace(/\(.\)$/, '');

/** The person's own exposed items, one line each, in words. */
export function exposedLines(s: NoticeSubject): string[] {
  const lines: string[] = [];
  const cards = new Map<string, string[]>();
  for (const a of s.card) {
    const label = a.last4 ? `${BRAND_JA[a.brand ?? ''] ?? a.brand ?? 'クレジットカード'} 末尾${a.last4}` : 'クレジットカード（番号の末尾は記録なし）';
    cards.set(label, [...(cards.get(label) ?? []), day(a.date)]);
  }
  for (const [label, dates] of cards) {
    const uniq = [...new Set(dates)].sort();
    const shown = uniq.length > 5 ? `${uniq.slice(0, 5).join('、')} ほか${uniq.length - 5}回` : uniq.join('、');
    lines.push(`・クレジットカード情報（カード番号・有効期限・セキュリティコード）: ${label}（${shown}のご利用）`);
  }
  if (s.personal?.items.length) lines.push(`・ご注文者・会員としてご登録の情報: ${s.personal.items.map((i) => ITEM_JA[i]).join('、')}`);
  if (s.recipient?.items.length) lines.push(`・お届け先としてご指定いただいた情報: ${s.recipient.items.map((i) => ITEM_JA[i]).join('、')}`);
  return lines;
}

export const NOTICE_TEMPLATE: MailTemplateSpec = {
  label: '漏えい等のお詫びとお知らせ（個別通知）',
  subject: '【{{shop_name}}】個人情報漏えいに関するお詫びとお知らせ（{{reference}}）',
  body: [
    '{{name}} 様',
    '',
    '{{shop_name}}をご利用いただき、誠にありがとうございます。',
    'このたび、弊社が運営する「{{shop_name}}」が第三者による不正アクセスを受け、お客様の情報が漏えいした可能性があることが判明いたしました。多大なるご迷惑とご心配をおかけしますことを、深くお詫び申し上げます。',
    '',
    '■ 漏えいした可能性のあるお客様の情報',
    '{{items}}',
    '',
    '■ お願い',
    '{{requests}}',
    '',
    '■ 弊社からのご連絡について',
    'このお知らせにはリンクを載せていません。弊社から、メールや電話でクレジットカード番号・パスワード等をお尋ねすることはございません。弊社を名乗る不審な連絡にはご注意ください。',
    '',
    '経緯と再発防止策は、弊社ウェブサイトのお知らせでもご覧いただけます。',
    '',
    '■ お問い合わせ窓口',
    '{{contact}}',
    'お問い合わせの際は、お知らせ番号 {{reference}} をお伝えください。',
    '',
    '{{company}}',
  ].join('\n'),
  placeholders: ['name', 'shop_name', 'company', 'items', 'requests', 'contact', 'reference'],
  required: ['name', 'items', 'contact', 'reference'],
};

export function requestLines(s: NoticeSubject, opts: { cardReissueFree: boolean }): string {
  const lines: string[] = [];
  if (s.card.length) {
    lines.push('・クレジットカードのご利用明細に身に覚えのない請求がないか、ご確認をお願いいたします。不審な請求がある場合は、カード裏面に記載のカード会社へお問い合わせください。');
    if (opts.cardReissueFree) lines.push('・カードの再発行をご希望の場合、再発行の手数料はお客様のご負担とならないよう、弊社からカード会社に依頼しております。');
  }
  lines.push('・弊社やカード会社を装った不審なメール・電話・郵便物にご注意ください。');
  return lines.join('\n');
}

export interface NoticeContext {
  shopName: string;
  company: string;
  contact: string;
  cardReissueFree: boolean;
}

export function renderNotice(template: { subject: string; body: string }, s: NoticeSubject, reference: string, ctx: NoticeContext): { subject: string; text: string } {
  const vars = {
    name: s.contact.name, shop_name: ctx.shopName, company: ctx.company, contact: ctx.contact, reference,
    items: exposedLines(s).join('\n'), requests: requestLines(s, ctx),
  };
  return { subject: renderTemplate(template.subject, vars), text: renderTemplate(template.body, vars) };
}
