import { z } from 'zod';
import { badRequest } from '../app/errors.js';
import { formatPostalCode, isPrefecture, nfkc, normalise, toKatakana } from './jp.js';

/**
 * The one way input is validated: zod schemas built from these field helpers. Every message is
 * Japanese and written for the person who typed the value; routes show them next to the field.
 */

// Control characters (except tab/newline in multi-line fields), U+FFFD from broken UTF-8, and
// Unicode bidi overrides are never legitimate in a form field.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\uFFFD\u202A-\u202E\u2066-\u2069]/;
// eslint-disable-next-line no-control-regex
const CONTROL_SINGLE_LINE = /[\u0000-\u001F\u007F\uFFFD\u202A-\u202E\u2066-\u2069]/;

/** The message for a value of the wrong shape (missing, repeated, not text). */
const typeError = (iss: { input?: unknown }): string =>
  iss.input === undefined ? '入力してください。' : Array.isArray(iss.input) ? '同じ項目が複数送信されました。' : '入力内容の形式が正しくありません。';

// Any schema without its own message still answers in Japanese, never with zod's English default.
z.config({
  customError: (iss) => (iss.code === 'invalid_type' ? typeError(iss) : '入力内容が正しくありません。'),
});

export function text(opts: { max: number; min?: number; multiline?: boolean; label?: string }) {
  const min = opts.min ?? 1;
  const bad = opts.multiline ? CONTROL : CONTROL_SINGLE_LINE;
  return z
    .string({ error: typeError })
    .transform((v) => (opts.multiline ? v.replace(/\r\n/g, '\n') : v).trim())
    .pipe(
      z
        .string()
        .refine((v) => !bad.test(v), '使用できない文字が含まれています。')
        .refine((v) => v.length >= min, min === 1 ? '入力してください。' : `${min}文字以上で入力してください。`)
        .refine((v) => v.length <= opts.max, `${opts.max}文字以内で入力してください。`),
    );
}

/** An optional single-line field: empty becomes null. */
export function optionalText(opts: { max: number; multiline?: boolean }) {
  return z
    .string({ error: typeError })
    .optional()
    .transform((v) => (v ?? '').trim())
    .pipe(
      z.union([
        z.literal('').transform(() => null),
        text({ ...opts, min: 1 }),
      ]),
    );
}

export const field = {
  name: () => text({ max: 60 }),
  kana: () =>
    text({ max: 60 })
      .transform((v) => toKatakana(nfkc(v)))
      .refine((v) => /^[\u30A1-\u30FA\u30FC\u30FB\s・ー]+$/.test(v), 'フリガナはカタカナで入力してください。'),
  optionalKana: () =>
    z
      .string()
      .optional()
      .transform((v) => toKatakana(nfkc((v ?? '').trim())))
      .refine((v) => v === '' || /^[\u30A1-\u30FA\u30FC\u30FB\s・ー]+$/.test(v), 'フリガナはカタカナで入力してください。')
      .refine((v) => v.length <= 60, '60文字以内で入力してください。')
      .transform((v) => (v === '' ? null : v)),
  postalCode: () =>
    text({ max: 10 }).transform((v, ctx) => {
      const digits = normalise.postalCode(v);
      if (!/^\d{7}$/.test(digits) || !/^[\d\-\s]+$/.test(nfkc(v).replace(/[〒ー−‐]/g, '-'))) {
        ctx.addIssue({ code: 'custom', message: '郵便番号は7桁の数字で入力してください（例: 100-0001）。' });
        return z.NEVER;
      }
      return formatPostalCode(digits);
    }),
  prefecture: () =>
    z.string({ error: '都道府県を選択してください。' }).refine(isPrefecture, '都道府県を選択してください。'),
  address: () => text({ max: 100 }),
  optionalAddress: () => optionalText({ max: 100 }),
  email: () =>
    text({ max: 254 })
      .transform((v) => nfkc(v).trim())
      .refine(
        (v) => /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/.test(v),
        'メールアドレスの形式が正しくありません。',
      ),
  phone: () => text({ max: 20 }).refine(isPhone, '電話番号は市外局番から数字で入力してください（例: 03-1234-5678）。'),
  optionalPhone: () =>
    optionalText({ max: 20 }).refine((v) => v === null || isPhone(v), 'FAX番号は市外局番から数字で入力してください。'),
  password: () =>
    z
      .string({ error: 'パスワードを入力してください。' })
      .refine((v) => !CONTROL.test(v), '使用できない文字が含まれています。')
      .refine((v) => v.length >= 10, 'パスワードは10文字以上にしてください。')
      .refine((v) => v.length <= 128, 'パスワードは128文字以内にしてください。')
      .refine((v) => !isWeakPassword(v), 'よく使われるパスワードや単純な並びは使えません。'),
  /** Any password typed at login: only bounded, never validated for strength (that would leak policy changes). */
  loginPassword: () => z.string({ error: 'パスワードを入力してください。' }).min(1, 'パスワードを入力してください。').max(128, 'パスワードが長すぎます。'),
  int: (min: number, max: number) =>
    z
      .string({ error: '数値を入力してください。' })
      .transform((v) => nfkc(v).trim())
      .refine((v) => /^-?\d{1,9}$/.test(v), '数値を入力してください。')
      .transform((v) => Number.parseInt(v, 10))
      .refine((v) => v >= min && v <= max, `${min}〜${max}の範囲で入力してください。`),
};

function isPhone(v: string): boolean {
  const s = nfkc(v);
  if (!/^[\d\-\s()+]+$/.test(s)) return false;
  const digits = s.replace(/\D/g, '');
  return /^0\d{9,10}$/.test(digits);
}

const COMMON = new Set([
  'password', 'password1', 'password123', '1234567890', '12345678910', 'qwertyuiop', 'iloveyou12', 'abcdefghij',
  'passw0rd123', 'letmein123', 'welcome123', 'administrator', 'sakura1234', 'doragon1234', '1qaz2wsx3edc', 'asdfghjkl;',
]);

/** Breached-pattern check: the commonest passwords, one repeated character, and plain runs. */
export function isWeakPassword(v: string): boolean {
  const lower = v.toLowerCase();
  if (COMMON.has(lower)) return true;
  if (/^(.)\1+$/.test(v)) return true;
  if ('01234567890123456789'.includes(lower) || 'abcdefghijklmnopqrstuvwxyz'.includes(lower)) return true;
  if ('qwertyuiopasdfghjklzxcvbnm'.includes(lower)) return true;
  return false;
}

export type FieldErrors = Record<string, string>;
export type ParseResult<T> = { ok: true; data: T } | { ok: false; errors: FieldErrors };

/**
 * Parses a form body (urlencoded: values are strings, repeated keys arrays) against a strict schema.
 * `_csrf` is removed first; unknown fields, arrays where one value is expected and non-string values
 * become field errors, never exceptions.
 */
export function parseForm<S extends z.ZodType>(schema: S, body: unknown): ParseResult<z.output<S>> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, errors: { _form: '送信内容を読み取れませんでした。' } };
  }
  const input: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (k === '_csrf') continue;
    input[k] = v;
  }
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, data: result.data };
  const errors: FieldErrors = {};
  for (const issue of result.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      errors._form = '想定外の項目が送信されました。ページを再読み込みしてやり直してください。';
      continue;
    }
    const key = issue.path.length > 0 ? String(issue.path[0]) : '_form';
    if (errors[key]) continue;
    errors[key] = issue.message;
  }
  return { ok: false, errors };
}

/** An optional query value: missing or blank is null; a repeated key (array) fails the schema. */
export function optionalQueryValue<T extends z.ZodType<unknown, string>>(schema: T) {
  return z
    .string({ error: 'パラメータの形式が正しくありません。' })
    .optional()
    .transform((v) => (v ?? '').trim())
    .pipe(z.union([z.literal('').transform(() => null), schema]));
}

/** Query parameters: a bad value is a 400 with the schema's message, never a 500. */
export function parseQuery<T extends z.ZodType>(schema: T, query: unknown): z.output<T> {
  const r = schema.safeParse(query);
  if (!r.success) throw badRequest(r.error.issues[0]?.message ?? 'パラメータが正しくありません。');
  return r.data;
}
