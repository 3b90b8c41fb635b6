import type { Writable } from 'node:stream';
import { addDays } from '../../shared/time.js';
import { formatInstant, type CustomerLine, type OrderLine } from './format.js';

/**
 * `mamori demo history`: a realistic, reproducible shop history for demos, drills and benchmarks,
 * streamed as JSON Lines. Every member, guest and recipient is derived from (seed, index) alone,
 * so nothing grows in memory with the size of the history and the same seed gives the same file.
 *
 * What it contains: members (some of whom later changed their data) and guests; repeat buyers (a
 * few people place many orders); guests who type their e-mail differently from one order to the
 * next (upper case, full-width, surrounding spaces), members who check out as guests with their
 * member e-mail, guests without e-mail; gifts to other recipients (some of them again and again),
 * shipping typed out although it is the orderer's own address; card, bank transfer and cash on
 * delivery with paid, pending, failed, refunded and cancelled payments. The format holds one
 * payment per order, so a declined card is an order with `payment.status: "failed"`, often
 * followed minutes later by the same person's new order that paid.
 */

export interface DemoOptions {
  customers: number;
  orders: number;
  from: string;
  to: string;
  seed: number;
}

/** mulberry32: a small, fast, seedable PRNG (32-bit state). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mix(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    h = Math.imul(h ^ (p & 0xffff), 0x01000193);
    h = Math.imul(h ^ (p >>> 16), 0x01000193);
  }
  return h >>> 0;
}

type Rand = () => number;
const pick = <T>(r: Rand, items: readonly T[]): T => items[Math.floor(r() * items.length)]!;
const int = (r: Rand, min: number, max: number) => min + Math.floor(r() * (max - min + 1));

const FAMILY = [
  ['佐藤', 'サトウ', 'sato'], ['鈴木', 'スズキ', 'suzuki'], ['高橋', 'タカハシ', 'takahashi'], ['田中', 'タナカ', 'tanaka'],
  ['伊藤', 'イトウ', 'ito'], ['渡辺', 'ワタナベ', 'watanabe'], ['山本', 'ヤマモト', 'yamamoto'], ['中村', 'ナカムラ', 'nakamura'],
  ['小林', 'コバヤシ', 'kobayashi'], ['加藤', 'カトウ', 'kato'], ['吉田', 'ヨシダ', 'yoshida'], ['山田', 'ヤマダ', 'yamada'],
  ['佐々木', 'ササキ', 'sasaki'], ['山口', 'ヤマグチ', 'yamaguchi'], ['松本', 'マツモト', 'matsumoto'], ['井上', 'イノウエ', 'inoue'],
  ['木村', 'キムラ', 'kimura'], ['林', 'ハヤシ', 'hayashi'], ['斎藤', 'サイトウ', 'saito'], ['清水', 'シミズ', 'shimizu'],
] as const;
const GIVEN = [
  ['太郎', 'タロウ', 'taro'], ['花子', 'ハナコ', 'hanako'], ['一郎', 'イチロウ', 'ichiro'], ['美咲', 'ミサキ', 'misaki'],
  ['健太', 'ケンタ', 'kenta'], ['陽子', 'ヨウコ', 'yoko'], ['翔', 'ショウ', 'sho'], ['由美', 'ユミ', 'yumi'],
  ['大輔', 'ダイスケ', 'daisuke'], ['恵子', 'ケイコ', 'keiko'], ['拓也', 'タクヤ', 'takuya'], ['明美', 'アケミ', 'akemi'],
  ['誠', 'マコト', 'makoto'], ['千尋', 'チヒロ', 'chihiro'], ['浩二', 'コウジ', 'koji'], ['幸子', 'サチコ', 'sachiko'],
] as const;
/** Prefecture, municipality with a town, the first three digits of its postal codes, the area code. */
const PLACES = [
  ['東京都', '千代田区千代田', '100', '03'], ['東京都', '世田谷区三軒茶屋', '154', '03'], ['東京都', '八王子市旭町', '192', '042'],
  ['神奈川県', '横浜市中区山下町', '231', '045'], ['埼玉県', 'さいたま市浦和区高砂', '330', '048'], ['千葉県', '船橋市本町', '273', '047'],
  ['大阪府', '大阪市北区梅田', '530', '06'], ['大阪府', '堺市堺区南瓦町', '590', '072'], ['京都府', '京都市中京区河原町', '604', '075'],
  ['兵庫県', '神戸市中央区三宮町', '650', '078'], ['愛知県', '名古屋市中区栄', '460', '052'], ['静岡県', '静岡市葵区追手町', '420', '054'],
  ['北海道', '札幌市中央区大通西', '060', '011'], ['宮城県', '仙台市青葉区国分町', '980', '022'], ['福岡県', '福岡市博多区博多駅前', '812', '092'],
  ['広島県', '広島市中区紙屋町', '730', '082'], ['新潟県', '新潟市中央区古町通', '951', '025'], ['長野県', '松本市中央', '390', '0263'],
  ['鹿児島県', '鹿児島市山下町', '892', '099'], ['沖縄県', '那覇市久茂地', '900', '098'],
] as const;
const BUILDINGS = ['コーポ', 'ハイツ', 'メゾン', 'グランドパレス', 'レジデンス'];
const MAIL_DOMAINS = ['example.jp', 'example.co.jp', 'example.ne.jp', 'example.com'];
const PRODUCTS = [
  ['GT-SEN-100', '深蒸し煎茶 100g', 1080, 8], ['GT-GYO-50', '玉露 50g', 2160, 8], ['MT-YAM-30', '八女抹茶 30g', 2320, 8],
  ['HJ-KAG-100', '加賀棒ほうじ茶 100g', 864, 8], ['GM-GEN-200', '玄米茶 200g', 756, 8], ['KY-TOK-01', '常滑焼 急須', 5500, 10],
  ['YN-ARI-02', '有田焼 湯呑み 2客', 3850, 10], ['GF-SET-A', '季節のお茶詰め合わせ', 3240, 8],
] as const;
const BRANDS = [['visa', 50], ['mastercard', 25], ['jcb', 15], ['amex', 7], ['diners', 3]] as const;

interface Person {
  name: string;
  nameKana: string;
  email: string | null;
  phone: string;
  fax: string | null;
  postalCode: string;
  prefecture: string;
  address1: string;
  address2: string | null;
}

function person(r: Rand, withEmail: boolean, tag: string): Person {
  const [fam, famKana, famRoman] = pick(r, FAMILY);
  const [giv, givKana, givRoman] = pick(r, GIVEN);
  const [pref, town, zip3, area] = pick(r, PLACES);
  const local = area.length === 2 ? `${int(r, 1000, 9999)}-${int(r, 1000, 9999)}` : area.length === 3 ? `${int(r, 100, 999)}-${int(r, 1000, 9999)}` : `${int(r, 10, 99)}-${int(r, 1000, 9999)}`;
  const mobile = r() < 0.45;
  const phone = mobile ? `${pick(r, ['090', '080', '070'])}-${int(r, 1000, 9999)}-${int(r, 1000, 9999)}` : `${area}-${local}`;
  const hasBuilding = r() < 0.4;
  return {
    name: `${fam} ${giv}`,
    nameKana: `${famKana} ${givKana}`,
    email: withEmail ? `${givRoman}.${famRoman}${tag}@${pick(r, MAIL_DOMAINS)}` : null,
    phone,
    fax: !mobile && r() < 0.2 ? `${area}-${local.slice(0, -1)}${(Number(local.slice(-1)) + 1) % 10}` : null,
    postalCode: `${zip3}-${String(int(r, 0, 9999)).padStart(4, '0')}`,
    prefecture: pref,
    address1: `${town}${int(r, 1, 5)}-${int(r, 1, 30)}-${int(r, 1, 20)}`,
    address2: hasBuilding ? `${pick(r, BUILDINGS)}${fam}${int(r, 1, 9)}0${int(r, 1, 9)}` : null,
  };
}

/** How people actually type the same address: case, full-width characters, stray spaces. */
function retype(r: Rand, email: string): string {
  const x = r();
  if (x < 0.55) return email;
  if (x < 0.7) return email.toUpperCase();
  if (x < 0.8) return email[0]!.toUpperCase() + email.slice(1);
  if (x < 0.9) return ` ${email} `;
  return [...email].map((ch) => (ch >= '!' && ch <= '~' ? String.fromCharCode(ch.charCodeAt(0) + 0xfee0) : ch)).join('');
}

export async function generateDemoHistory(opts: DemoOptions, out: Writable): Promise<{ customers: number; orders: number }> {
  const start = new Date(`${opts.from}T00:00:00+09:00`).getTime();
  const end = new Date(`${addDays(opts.to, 1)}T00:00:00+09:00`).getTime() - 1000;
  const span = Math.max(1, end - start);
  const S = opts.seed >>> 0;
  const rng = (kind: number, i: number) => prng(mix(S, kind, i));
  const memberCount = Math.max(0, opts.customers);
  const guestCount = Math.max(1, Math.round(opts.orders * 0.35));
  const recipientCount = Math.max(1, Math.round(opts.orders * 0.08));

  const write = (line: object): Promise<void> | null =>
    out.write(`${JSON.stringify(line)}\n`) ? null : new Promise((resolve) => out.once('drain', resolve));

  const member = (j: number) => {
    const r = rng(1, j);
    // Members registered across the period, more of them early on.
    const registered = start + Math.floor(span * r() ** 1.3);
    const p = person(r, r() < 0.97, String(j));
    const updated = r() < 0.3 ? registered + Math.floor((end - registered) * r()) : null;
    return { p, registered, updated, id: `C${String(j + 1).padStart(7, '0')}` };
  };
  const guest = (g: number) => person(rng(2, g), rng(3, g)() < 0.85, `g${g}`);
  const recipient = (k: number) => person(rng(4, k), false, '');

  for (let j = 0; j < memberCount; j++) {
    const m = member(j);
    const line: CustomerLine = {
      kind: 'customer', id: m.id, registeredAt: formatInstant(new Date(m.registered).toISOString()),
      ...(m.updated !== null ? { updatedAt: formatInstant(new Date(m.updated).toISOString()) } : {}),
      name: m.p.name, nameKana: m.p.nameKana, ...(m.p.email ? { email: m.p.email } : {}), phone: m.p.phone,
      ...(m.p.fax ? { fax: m.p.fax } : {}), postalCode: m.p.postalCode, prefecture: m.p.prefecture, address1: m.p.address1,
      ...(m.p.address2 ? { address2: m.p.address2 } : {}),
    };
    await write(line);
  }

  let written = 0;
  let retry: { who: OrderLine['orderer']; customerId: string | null; at: number; shipping: OrderLine['shipping'] } | null = null;
  for (let i = 0; written < opts.orders; i++) {
    const r = rng(5, i);
    let orderer: OrderLine['orderer'];
    let customerId: string | null = null;
    let at: number;
    let shipping: OrderLine['shipping'] = null;
    if (retry) {
      // The same person tries again a few minutes after a declined card.
      ({ who: orderer, customerId, shipping } = retry);
      at = retry.at + int(r, 2, 20) * 60_000;
      retry = null;
    } else {
      at = start + Math.floor(span * r());
      const kind = r();
      if (memberCount > 0 && kind < 0.55) {
        // Repeat buyers: a skewed pick, so a few members place many orders.
        const m = member(Math.floor(memberCount * r() ** 2.5));
        if (at < m.registered) at = m.registered + Math.floor((end - m.registered) * r());
        const asGuest = r() < 0.12;
        customerId = asGuest ? null : m.id;
        orderer = {
          name: m.p.name, nameKana: m.p.nameKana, email: m.p.email && asGuest ? retype(r, m.p.email) : m.p.email, phone: m.p.phone,
          fax: m.p.fax, postalCode: m.p.postalCode, prefecture: m.p.prefecture, address1: m.p.address1, address2: m.p.address2,
        };
      } else {
        const g = guest(Math.floor(guestCount * r() ** 1.5));
        orderer = {
          name: g.name, nameKana: g.nameKana, email: g.email ? retype(r, g.email) : null, phone: g.phone, fax: g.fax,
          postalCode: g.postalCode, prefecture: g.prefecture, address1: g.address1, address2: g.address2,
        };
      }
      const dest = r();
      if (dest < 0.15) {
        const k = recipient(Math.floor(recipientCount * r() ** 2));
        shipping = { name: k.name, nameKana: k.nameKana, phone: k.phone, postalCode: k.postalCode, prefecture: k.prefecture, address1: k.address1, address2: k.address2 };
      } else if (dest < 0.18) {
        // Typed out in full although it is the orderer's own address.
        shipping = { name: orderer.name, phone: orderer.phone, postalCode: orderer.postalCode, prefecture: orderer.prefecture, address1: orderer.address1, address2: orderer.address2 };
      }
    }
    if (at > end) at = end;

    const first = int(r, 0, PRODUCTS.length - 1);
    const lines = Array.from({ length: int(r, 1, 3) }, (_, n) => {
      const [sku, name, price, tax] = PRODUCTS[(first + n * 3) % PRODUCTS.length]!;
      return { sku, name, unitPriceYen: price, quantity: int(r, 1, 3), taxRatePercent: tax };
    });
    const items = lines.reduce((a, l) => a + l.unitPriceYen * l.quantity, 0);
    const shippingFeeYen = items >= 5000 ? 0 : 600;
    const m = r();
    const method: OrderLine['payment']['method'] = m < 0.6 ? 'card' : m < 0.8 ? 'bank_transfer' : 'cod';
    const s = r();
    let payment: OrderLine['payment'];
    if (method === 'card') {
      const status = s < 0.85 ? 'paid' : s < 0.93 ? 'failed' : s < 0.96 ? 'refunded' : s < 0.98 ? 'cancelled' : 'pending';
      let w = r() * 100;
      const brand = BRANDS.find(([, share]) => (w -= share) < 0)?.[0] ?? 'visa';
      payment = { method, status, brand, last4: String(int(r, 0, 9999)).padStart(4, '0'), providerRef: `pay_${i.toString(36)}${Math.floor(r() * 36 ** 6).toString(36)}` };
      if (status === 'failed' && r() < 0.6) retry = { who: orderer, customerId, at, shipping };
    } else if (method === 'bank_transfer') {
      payment = { method, status: s < 0.9 ? 'paid' : s < 0.95 ? 'pending' : 'cancelled' };
    } else {
      payment = { method, status: s < 0.95 ? 'paid' : 'cancelled' };
    }
    const codFeeYen = method === 'cod' ? 330 : 0;
    const order: OrderLine = {
      kind: 'order', id: `O${String(i + 1).padStart(8, '0')}`, orderedAt: formatInstant(new Date(at).toISOString()), customerId,
      orderer, shipping, payment, lines, shippingFeeYen, codFeeYen, totalYen: items + shippingFeeYen + codFeeYen,
    };
    await write(order);
    written++;
  }
  return { customers: memberCount, orders: written };
}
