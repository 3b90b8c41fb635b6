import { z } from 'zod';
import { field, optionalText } from '../shared/validation.js';
import { addDays, isIsoDate, jstDate } from '../shared/time.js';
import type { ShopSettings } from '../settings/defaults.js';
import type { Prefecture } from '../shared/jp.js';
import type { PaymentMethod } from './tables.js';

export const PAYMENT_METHODS: readonly PaymentMethod[] = ['card', 'bank_transfer', 'cod'];

/** A destination other than the orderer (a gift): validated only when chosen. */
const otherDestinationSchema = () =>
  z.object({
    ship_name: field.name(),
    ship_kana: field.optionalKana(),
    ship_postal: field.postalCode(),
    ship_prefecture: field.prefecture(),
    ship_address1: field.address(),
    ship_address2: field.optionalAddress(),
    ship_phone: field.phone(),
  });

let memo: { settings: ShopSettings; today: string; schema: ReturnType<typeof buildCheckoutSchema> } | null = null;

/** The checkout form's schema for these settings and today (JST), built once per change. */
export function checkoutSchema(settings: ShopSettings, today: string = jstDate()) {
  if (memo?.settings !== settings || memo.today !== today) memo = { settings, today, schema: buildCheckoutSchema(settings, today) };
  return memo.schema;
}

/**
 * The fields the storefront checkout and the staff order entry share: orderer, other destination
 * (validated only when chosen), delivery date and slot, and the buyer's note.
 */
function orderShape(settings: ShopSettings, today: string) {
  const minDate = addDays(today, settings.delivery.minDaysAhead);
  const maxDate = addDays(today, settings.delivery.maxDaysAhead);
  const optional = z.string().optional();
  return {
    orderer_name: field.name(),
    orderer_kana: field.kana(),
    orderer_postal: field.postalCode(),
    orderer_prefecture: field.prefecture(),
    orderer_address1: field.address(),
    orderer_address2: field.optionalAddress(),
    orderer_phone: field.phone(),
    orderer_fax: field.optionalPhone(),
    ship_name: optional,
    ship_kana: optional,
    ship_postal: optional,
    ship_prefecture: optional,
    ship_address1: optional,
    ship_address2: optional,
    ship_phone: optional,
    delivery_date: z
      .string()
      .optional()
      .transform((v) => (v ?? '').trim())
      .refine((v) => v === '' || (isIsoDate(v) && v >= minDate && v <= maxDate), `お届け日は${minDate}から${maxDate}の間で選択してください。`)
      .transform((v) => (v === '' ? null : v)),
    delivery_slot: z
      .string()
      .optional()
      .transform((v) => (v ?? '').trim())
      .refine((v) => v === '' || settings.delivery.slots.includes(v), '時間帯を選択してください。')
      .transform((v) => (v === '' ? null : v)),
    note: optionalText({ max: 500, multiline: true }),
  };
}

function refineOtherDestination(v: { ship_to: string }, ctx: z.RefinementCtx): void {
  if (v.ship_to !== 'other') return;
  const r = otherDestinationSchema().safeParse(v);
  if (!r.success) for (const issue of r.error.issues) ctx.addIssue({ ...issue, code: 'custom', message: issue.message });
}

/** The checkout form's fields as posted; the same names are used by the views. */
function buildCheckoutSchema(settings: ShopSettings, today: string) {
  return z
    .object({
      ...orderShape(settings, today),
      orderer_email: field.email(),
      ship_to: z.enum(['orderer', 'saved', 'other'], { error: 'お届け先を選択してください。' }),
      saved_address_id: z.string().optional(),
      payment_method: z.enum(['card', 'bank_transfer', 'cod'], { error: 'お支払い方法を選択してください。' }),
      checkout_token: z.string().regex(/^[A-Za-z0-9_-]{43}$/).optional(),
      expected_total: z.string().regex(/^\d{1,9}$/).optional(),
    })
    .strict()
    .superRefine(refineOtherDestination)
    .superRefine((v, ctx) => {
      if (v.ship_to === 'saved' && !/^adr_[0-9A-Z]{16}$/.test(v.saved_address_id ?? '')) {
        ctx.addIssue({ code: 'custom', path: ['saved_address_id'], message: '登録済みのお届け先を選択してください。' });
      }
    });
}

export type CheckoutForm = z.output<ReturnType<typeof checkoutSchema>>;

export interface Destination {
  name: string;
  kana: string | null;
  postalCode: string;
  prefecture: Prefecture;
  address1: string;
  address2: string | null;
  phone: string;
}

/** The parsed `other` destination (validated by the schema's refinement). */
export function otherDestination(f: Pick<CheckoutForm, 'ship_name' | 'ship_kana' | 'ship_postal' | 'ship_prefecture' | 'ship_address1' | 'ship_address2' | 'ship_phone'>): Destination {
  const parsed = otherDestinationSchema().parse(f);
  return {
    name: parsed.ship_name,
    kana: parsed.ship_kana,
    postalCode: parsed.ship_postal,
    prefecture: parsed.ship_prefecture as Prefecture,
    address1: parsed.ship_address1,
    address2: parsed.ship_address2,
    phone: parsed.ship_phone,
  };
}

// ---------------------------------------------------------------------------------------------
// Staff order entry (issue #9): the same orderer, destination and delivery rules as the checkout;
// the e-mail is optional (many phone and FAX customers have none), postal transfer is offered, and
// the channel the order came through is required.

export const STAFF_PAYMENT_METHODS = ['cod', 'bank_transfer', 'postal_transfer', 'card'] as const satisfies readonly PaymentMethod[];
export const STAFF_CHANNELS = ['phone', 'fax', 'postcard', 'other'] as const;

let staffMemo: { settings: ShopSettings; today: string; schema: ReturnType<typeof buildStaffOrderSchema> } | null = null;

/** The staff order-entry form's schema (line quantities are parsed apart: see `parseQuantities`). */
export function staffOrderSchema(settings: ShopSettings, today: string = jstDate()) {
  if (staffMemo?.settings !== settings || staffMemo.today !== today) staffMemo = { settings, today, schema: buildStaffOrderSchema(settings, today) };
  return staffMemo.schema;
}

function buildStaffOrderSchema(settings: ShopSettings, today: string) {
  return z
    .object({
      ...orderShape(settings, today),
      orderer_email: z
        .string()
        .optional()
        .transform((v) => (v ?? '').trim())
        .pipe(z.union([z.literal('').transform(() => null), field.email()])),
      customer_id: z
        .string()
        .optional()
        .transform((v) => (v ?? '').trim())
        .refine((v) => v === '' || /^cus_[0-9A-Z]{16}$/.test(v), '会員の指定が正しくありません。')
        .transform((v) => (v === '' ? null : v)),
      ship_to: z.enum(['orderer', 'other'], { error: 'お届け先を選択してください。' }),
      payment_method: z.enum(STAFF_PAYMENT_METHODS, { error: 'お支払い方法を選択してください。' }),
      channel: z.enum(STAFF_CHANNELS, { error: '受付経路を選択してください。' }),
      staff_note: optionalText({ max: 1000, multiline: true }),
      entry_token: z.string().regex(/^[A-Za-z0-9_-]{43}$/).optional(),
      // Blank until the totals were shown once (the page's first render).
      expected_total: z.string().regex(/^(\d{1,9})?$/).optional().transform((v) => (v ? v : undefined)),
      action: z.enum(['recalc', 'confirm', 'place']).optional(),
    })
    .strict()
    .superRefine(refineOtherDestination);
}

export type StaffOrderForm = z.output<ReturnType<typeof staffOrderSchema>>;

/** Form field name of a variant's quantity in the staff order entry. */
export const qtyField = (variantId: string) => `qty_${variantId}`;
const QTY_FIELD = /^qty_(var_[0-9A-Z]{16})$/;
export const MAX_STAFF_QUANTITY = 999;

/**
 * Splits the order-entry body into the line quantities (`qty_<variant id>`, blank = 0, full-width
 * digits accepted) and the rest of the form. A bad quantity is a field error, never an exception.
 */
export function parseQuantities(body: unknown): { rest: Record<string, unknown>; items: { variantId: string; quantity: number }[]; errors: Record<string, string> } {
  const rest: Record<string, unknown> = {};
  const items: { variantId: string; quantity: number }[] = [];
  const errors: Record<string, string> = {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { rest, items, errors: { _form: '送信内容を読み取れませんでした。' } };
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    const m = QTY_FIELD.exec(k);
    if (!m) {
      rest[k] = v;
      continue;
    }
    const raw = typeof v === 'string' ? v.normalize('NFKC').trim() : null;
    if (raw === null || !/^\d{0,4}$/.test(raw) || Number(raw) > MAX_STAFF_QUANTITY) {
      errors[k] = `数量は0〜${MAX_STAFF_QUANTITY}の整数で入力してください。`;
      continue;
    }
    if (raw !== '' && Number(raw) > 0) items.push({ variantId: m[1]!, quantity: Number(raw) });
  }
  if (items.length > 200) errors._form = '一度に入力できる商品は200品目までです。';
  return { rest, items, errors };
}
