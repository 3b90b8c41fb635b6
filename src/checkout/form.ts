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

/** The checkout form's fields as posted; the same names are used by the views. */
function buildCheckoutSchema(settings: ShopSettings, today: string) {
  const minDate = addDays(today, settings.delivery.minDaysAhead);
  const maxDate = addDays(today, settings.delivery.maxDaysAhead);
  const optional = z.string().optional();
  return z
    .object({
      orderer_name: field.name(),
      orderer_kana: field.kana(),
      orderer_postal: field.postalCode(),
      orderer_prefecture: field.prefecture(),
      orderer_address1: field.address(),
      orderer_address2: field.optionalAddress(),
      orderer_email: field.email(),
      orderer_phone: field.phone(),
      orderer_fax: field.optionalPhone(),
      ship_to: z.enum(['orderer', 'saved', 'other'], { error: 'お届け先を選択してください。' }),
      saved_address_id: optional,
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
      payment_method: z.enum(['card', 'bank_transfer', 'cod'], { error: 'お支払い方法を選択してください。' }),
      note: optionalText({ max: 500, multiline: true }),
      checkout_token: z.string().regex(/^[A-Za-z0-9_-]{43}$/).optional(),
      expected_total: z.string().regex(/^\d{1,9}$/).optional(),
    })
    .strict()
    .superRefine((v, ctx) => {
      if (v.ship_to !== 'other') return;
      const r = otherDestinationSchema().safeParse(v);
      if (!r.success) for (const issue of r.error.issues) ctx.addIssue({ ...issue, code: 'custom', message: issue.message });
    })
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
export function otherDestination(f: CheckoutForm): Destination {
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
