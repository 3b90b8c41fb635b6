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
