/** Japanese address and contact data: prefectures, regions and the normalisation rules used for identity. */

export const PREFECTURES = [
  '北海道', '青森県', '岩手県', '宮城県', '秋田県', '山形県', '福島県',
  '茨城県', '栃木県', '群馬県', '埼玉県', '千葉県', '東京都', '神奈川県',
  '新潟県', '富山県', '石川県', '福井県', '山梨県', '長野県', '岐阜県', '静岡県', '愛知県',
  '三重県', '滋賀県', '京都府', '大阪府', '兵庫県', '奈良県', '和歌山県',
  '鳥取県', '島根県', '岡山県', '広島県', '山口県',
  '徳島県', '香川県', '愛媛県', '高知県',
  '福岡県', '佐賀県', '長崎県', '熊本県', '大分県', '宮崎県', '鹿児島県', '沖縄県',
] as const;
export type Prefecture = (typeof PREFECTURES)[number];

export function isPrefecture(value: string): value is Prefecture {
  return (PREFECTURES as readonly string[]).includes(value);
}

export const REGIONS: Record<string, readonly Prefecture[]> = {
  hokkaido: ['北海道'],
  tohoku: ['青森県', '岩手県', '宮城県', '秋田県', '山形県', '福島県'],
  kanto: ['茨城県', '栃木県', '群馬県', '埼玉県', '千葉県', '東京都', '神奈川県', '山梨県'],
  chubu: ['新潟県', '富山県', '石川県', '福井県', '長野県', '岐阜県', '静岡県', '愛知県'],
  kinki: ['三重県', '滋賀県', '京都府', '大阪府', '兵庫県', '奈良県', '和歌山県'],
  chugoku_shikoku: ['鳥取県', '島根県', '岡山県', '広島県', '山口県', '徳島県', '香川県', '愛媛県', '高知県'],
  kyushu: ['福岡県', '佐賀県', '長崎県', '熊本県', '大分県', '宮崎県', '鹿児島県'],
  okinawa: ['沖縄県'],
};

export function regionOf(pref: Prefecture): string {
  for (const [region, prefs] of Object.entries(REGIONS)) if (prefs.includes(pref)) return region;
  return 'kanto';
}

/** NFKC (full-width digits and letters become ASCII, half-width kana become full-width). */
export function nfkc(value: string): string {
  return value.normalize('NFKC');
}

/** Identity rules of docs/history-format.md. */
export const normalise = {
  email: (v: string) => nfkc(v).trim().toLowerCase(),
  phone: (v: string) => nfkc(v).replace(/\D/g, ''),
  name: (v: string) => nfkc(v).replace(/\s/g, ''),
  postalCode: (v: string) => nfkc(v).replace(/\D/g, ''),
};

/** `1000001` → `100-0001`. */
export function formatPostalCode(digits: string): string {
  return `${digits.slice(0, 3)}-${digits.slice(3)}`;
}

/** Hiragana → katakana, for フリガナ typed in hiragana. */
export function toKatakana(value: string): string {
  return value.replace(/[\u3041-\u3096]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) + 0x60));
}
