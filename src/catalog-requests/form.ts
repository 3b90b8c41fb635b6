import { z } from 'zod';
import { field, optionalText } from '../shared/validation.js';

/** An optional field that, when filled in, must pass `schema` (its message is kept). */
function optionalOf<T>(schema: z.ZodType<T, string>, max: number) {
  return optionalText({ max }).transform((v, ctx): T | null => {
    if (v === null) return null;
    const r = schema.safeParse(v);
    if (r.success) return r.data;
    ctx.addIssue({ code: 'custom', message: r.error.issues[0]?.message ?? '入力内容が正しくありません。' });
    return z.NEVER;
  });
}

/**
 * The catalog request form as posted. The address fields are the checkout form's (same helpers,
 * same messages, postal code normalised to 100-0001, フリガナ to katakana); e-mail and phone are
 * optional here, and the consent to the stated purpose and retention must be given.
 */
export const catalogRequestSchema = z
  .object({
    name: field.name(),
    kana: field.optionalKana(),
    postal: field.postalCode(),
    prefecture: field.prefecture(),
    address1: field.address(),
    address2: field.optionalAddress(),
    email: optionalOf(field.email(), 254),
    phone: optionalOf(field.phone(), 20),
    consent: z.literal('1', { error: 'カタログ送付のための利用と保管期間をご確認のうえ、同意してください。' }),
  })
  .strict();

export type CatalogRequestForm = z.output<typeof catalogRequestSchema>;

/**
 * A request taken by staff (phone, FAX, postcard): the same fields, the channel, and the staff
 * member's confirmation that the requester agreed to the purpose and retention (read out or on
 * the card) instead of ticking the box themselves.
 */
export const staffCatalogRequestSchema = catalogRequestSchema
  .omit({ consent: true })
  .extend({
    channel: z.enum(['phone', 'fax', 'postcard', 'other'], { error: '受付経路を選択してください。' }),
    consent: z.literal('1', { error: 'ご本人に利用目的（カタログの送付）と保管期間を伝え、同意を得たことを確認してください。' }),
  })
  .strict();
