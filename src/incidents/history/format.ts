import { z } from 'zod';
import type { OrderChannel, OrderPaymentStatus, PaymentMethod } from '../../checkout/tables.js';
import { CARD_FIELD_NAME, containsCardNumber } from '../../payments/tripwire.js';
import { isPrefecture, normalise } from '../../shared/jp.js';

/**
 * The shop history exchange format (JSON Lines) of ../shared/docs/history-format.md: one
 * `customer` or `order` object per line. This module validates a line (zod) and refuses card
 * data; import.ts and export.ts map records to and from the shop's tables.
 */

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001F\u007F\uFFFD\u202A-\u202E\u2066-\u2069]/;
const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-](\d{2}):(\d{2}))$/;

/** An ISO 8601 instant with an offset (`Z` allowed) → stored form (UTC, milliseconds), or null if it is none. */
export function parseInstant(value: string): string | null {
  const m = ISO_INSTANT.exec(value);
  if (!m) return null;
  const [, y, mo, d, h, mi, s = '00', frac = '', , oh = '00', om = '00'] = m;
  const month = Number(mo);
  const day = Number(d);
  const daysInMonth = new Date(Date.UTC(Number(y), month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null;
  if (Number(oh) > 14 || Number(om) > 59) return null;
  const ms = frac ? frac.slice(0, 4).padEnd(4, '0') : '';
  const t = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}${ms}${m[8] === 'Z' ? 'Z' : m[8]}`);
  return Number.isNaN(t.getTime()) ? null : t.toISOString();
}

/** A stored instant as the format writes it: Japan time with its offset (`2022-01-05T09:00:00+09:00`). */
export function formatInstant(stored: string): string {
  const jst = new Date(new Date(stored).getTime() + 9 * 3600_000).toISOString();
  return `${jst.endsWith('.000Z') ? jst.slice(0, 19) : jst.slice(0, 23)}+09:00`;
}

const reqText = (max: number) =>
  z
    .string()
    .refine((v) => v.trim().length > 0, { message: 'must not be empty' })
    .refine((v) => v.length <= max, { message: `must be at most ${max} characters` })
    .refine((v) => !CONTROL.test(v), { message: 'contains control characters' });
/** Optional text: absent, null and "" all mean "none" (stored as null). */
const optText = (max: number) =>
  z
    .union([z.string(), z.null()])
    .optional()
    .transform((v) => (v === undefined || v === null || v.trim() === '' ? null : v))
    .refine((v) => v === null || v.length <= max, { message: `must be at most ${max} characters` })
    .refine((v) => v === null || !CONTROL.test(v), { message: 'contains control characters' });
const instant = z.string().transform((v, ctx) => {
  const t = parseInstant(v);
  if (!t) {
    ctx.addIssue({ code: 'custom', message: 'must be an ISO 8601 timestamp with an offset, e.g. 2022-01-05T09:00:00+09:00' });
    return z.NEVER;
  }
  return t;
});
const postalCode = reqText(10).refine((v) => /^\d{7}$/.test(normalise.postalCode(v)), { message: 'must have 7 digits' });
const prefecture = z.string().refine(isPrefecture, { message: 'must be one of the 47 prefectures, e.g. 東京都' });
const phone = reqText(30).refine((v) => /\d{6,}/.test(normalise.phone(v)), { message: 'must contain a phone number' });
const optPhone = optText(30).refine((v) => v === null || /\d{6,}/.test(normalise.phone(v)), { message: 'must contain a phone number' });
const optEmail = optText(254).refine((v) => v === null || /^[^\s@]+@[^\s@]+$/.test(normalise.email(v)), { message: 'must be an e-mail address' });
const yen = z.number().int().min(0).max(10_000_000_000);
const historyId = reqText(100);

/** What a customer record and an order's orderer both hold (the same fields, the same rules). */
const PERSON_FIELDS = {
  name: reqText(100),
  nameKana: optText(100),
  email: optEmail,
  phone,
  fax: optPhone,
  postalCode,
  prefecture,
  address1: reqText(200),
  address2: optText(200),
};

const customerSchema = z.strictObject({
  kind: z.literal('customer'),
  id: historyId,
  registeredAt: instant,
  updatedAt: instant.optional(),
  ...PERSON_FIELDS,
});

const ordererSchema = z.strictObject(PERSON_FIELDS);

const shippingSchema = z.strictObject({
  name: reqText(100),
  nameKana: optText(100),
  phone,
  postalCode,
  prefecture,
  address1: reqText(200),
  address2: optText(200),
});

const paymentSchema = z
  .strictObject({
    method: z.enum(['card', 'bank_transfer', 'cod']),
    status: z.enum(['paid', 'pending', 'failed', 'refunded', 'cancelled']),
    brand: optText(30),
    last4: optText(4).refine((v) => v === null || /^\d{4}$/.test(v), { message: 'must be 4 digits' }),
    providerRef: optText(200),
  })
  .superRefine((p, ctx) => {
    if (p.method !== 'card') {
      for (const k of ['brand', 'last4', 'providerRef'] as const) {
        if (p[k] !== null) ctx.addIssue({ code: 'custom', path: [k], message: 'only for card payments' });
      }
    }
  });

const lineSchema = z.strictObject({
  sku: reqText(100),
  name: reqText(200),
  unitPriceYen: yen,
  quantity: z.number().int().min(1).max(1_000_000),
  taxRatePercent: z.number().int().min(0).max(100),
});

const orderSchema = z.strictObject({
  kind: z.literal('order'),
  id: historyId,
  orderedAt: instant,
  customerId: z.union([historyId, z.null()]).optional().transform((v) => v ?? null),
  channel: z.enum(['web', 'phone', 'fax', 'postcard', 'other']).optional().transform((v) => v ?? 'web'),
  orderer: ordererSchema,
  shipping: z.union([shippingSchema, z.null()]).optional().transform((v) => v ?? null),
  payment: paymentSchema,
  lines: z.array(lineSchema).min(1).max(1000),
  shippingFeeYen: yen,
  codFeeYen: yen,
  totalYen: yen,
});

export type CustomerRecord = z.output<typeof customerSchema>;
export type OrderRecord = z.output<typeof orderSchema>;
export type HistoryRecord = CustomerRecord | OrderRecord;

/** What the format writes (export): the same shapes, optional values omitted or null. */
export interface CustomerLine {
  kind: 'customer'; id: string; registeredAt: string; updatedAt?: string; name: string; nameKana?: string; email?: string;
  phone: string; fax?: string; postalCode: string; prefecture: string; address1: string; address2?: string;
}
export interface OrderLine {
  kind: 'order'; id: string; orderedAt: string; customerId: string | null; channel?: OrderChannel;
  orderer: { name: string; nameKana?: string; email: string | null; phone: string; fax: string | null; postalCode: string; prefecture: string; address1: string; address2: string | null };
  shipping: { name: string; nameKana?: string; phone: string; postalCode: string; prefecture: string; address1: string; address2: string | null } | null;
  payment: { method: PaymentMethod; status: OrderPaymentStatus; brand?: string; last4?: string; providerRef?: string };
  lines: { sku: string; name: string; unitPriceYen: number; quantity: number; taxRatePercent: number }[];
  shippingFeeYen: number; codFeeYen: number; totalYen: number;
}

export type LineResult = { ok: true; record: HistoryRecord } | { ok: false; reason: string };

/** Field names that hold an expiry or a security code, beyond the tripwire's card-field names. */
const EXPIRY_OR_CODE_NAME = /^(exp|expiry|expires?|expiration|valid.?(thru|through|until)|good.?thru|cvc2?|cvv2?|cid|pin)$/i;
/** An expiry written as MM/YY or MM/YYYY on its own (not part of a longer date such as 2022/12/30). */
const EXPIRY_VALUE = /(?<![\d/])(0[1-9]|1[0-2])\s?\/\s?(\d{2}|20\d{2})(?![\d/])/;

/**
 * Looks for card data anywhere in a line: a card number (Luhn-valid 13–19 digits, the PAN
 * tripwire's rule) in the raw text or in any value, a field named like a card number, expiry or
 * security code, or an expiry-looking value. Returns where (a field path), never the value.
 */
export function findCardData(raw: string, parsed: unknown): string | null {
  let found: string | null = null;
  const walk = (v: unknown, path: string, values: boolean) => {
    if (found) return;
    if (Array.isArray(v)) {
      v.forEach((child, i) => walk(child, `${path}[${i}]`, values));
      return;
    }
    if (v !== null && typeof v === 'object') {
      for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
        const p = path ? `${path}.${k}` : k;
        if (CARD_FIELD_NAME.test(k) || EXPIRY_OR_CODE_NAME.test(k)) {
          found = `a field named like card data ("${p}")`;
          return;
        }
        walk(child, p, values);
      }
      return;
    }
    if (values && (typeof v === 'string' || typeof v === 'number')) {
      const s = String(v);
      if (containsCardNumber(s)) found = `what looks like a card number (in "${path || 'the line'}")`;
      // Product names and SKUs are the shop's own text ("12/25 限定"); people's fields are checked.
      else if (typeof v === 'string' && !path.startsWith('lines[') && EXPIRY_VALUE.test(s.normalize('NFKC'))) found = `what looks like a card expiry date (in "${path}")`;
    }
  };
  // Fast path: the values are in the raw line as they are unless the writer escaped characters
  // (\uFF14, \/), so a line whose text holds no card number or expiry needs its keys checked only.
  const valuesToo = raw.includes('\\') || containsCardNumber(raw) || EXPIRY_VALUE.test(raw.normalize('NFKC'));
  walk(parsed, '', valuesToo);
  if (!found && containsCardNumber(raw)) found = 'what looks like a card number';
  return found;
}

function describeIssue(iss: z.core.$ZodIssue): string {
  const path = iss.path.map(String).join('.') || 'line';
  switch (iss.code) {
    case 'invalid_type':
      return `${path}: ${iss.input === undefined ? 'is required' : `must be ${iss.expected}`}`;
    case 'unrecognized_keys':
      return `${path === 'line' ? '' : `${path}: `}unknown field${iss.keys.length > 1 ? 's' : ''} ${iss.keys.map((k) => `"${k}"`).join(', ')}`;
    case 'invalid_value':
      return `${path}: must be ${iss.values.map((v) => JSON.stringify(v)).join(' or ')}`;
    case 'invalid_union':
      return `${path}: has the wrong shape`;
    case 'too_small':
      return `${path}: ${iss.origin === 'array' ? `needs at least ${String(iss.minimum)} item(s)` : `must be at least ${String(iss.minimum)}`}`;
    case 'too_big':
      return `${path}: ${iss.origin === 'array' ? `allows at most ${String(iss.maximum)} items` : `must be at most ${String(iss.maximum)}`}`;
    default:
      return `${path}: ${iss.message}`;
  }
}

/** Validates one line of the file. Card data refuses the line before anything else, and is never echoed. */
export function parseLine(raw: string): LineResult {
  if (raw.length > 200_000) return { ok: false, reason: 'line is longer than 200,000 characters' };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, reason: containsCardNumber(raw) ? 'contains what looks like a card number (value not shown)' : 'not valid JSON' };
  }
  const card = findCardData(raw, json);
  if (card) return { ok: false, reason: `contains ${card}; card numbers, expiry dates and security codes are never imported (value not shown)` };
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return { ok: false, reason: 'not a JSON object' };
  const kind = (json as { kind?: unknown }).kind;
  const schema = kind === 'customer' ? customerSchema : kind === 'order' ? orderSchema : null;
  if (!schema) return { ok: false, reason: 'kind: must be "customer" or "order"' };
  const r = schema.safeParse(json, { reportInput: true });
  if (!r.success) return { ok: false, reason: r.error.issues.slice(0, 3).map(describeIssue).join('; ') };
  return { ok: true, record: r.data };
}
