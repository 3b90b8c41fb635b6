import { z } from 'zod';

/**
 * The wire format between the shop and the sandbox PSP, as zod schemas. The PSP validates its
 * input with these and the shop validates the PSP's answers and webhooks with the same ones.
 * None of these shapes has room for a card number, expiry or security code.
 */

export const PAYMENT_STATUSES = [
  'pending',
  'authorized',
  'paid',
  'failed',
  'cancelled',
  'expired',
  'refunded',
  'partially_refunded',
] as const;

export const THREE_DS_OUTCOMES = ['frictionless', 'challenge_passed', 'challenge_failed', 'not_attempted'] as const;

export const WEBHOOK_EVENT_TYPES = [
  'payment.authorized',
  'payment.paid',
  'payment.failed',
  'payment.expired',
  'payment.cancelled',
  'payment.refunded',
] as const;
export type SandboxWebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Provider payment ids: `pay_` and 16 Crockford base32 characters. */
export const PAYMENT_ID_PATTERN = /^pay_[0-9A-HJKMNP-TV-Z]{16}$/;

/** Text that ends up on the hosted page or in logs: no control characters. */
function hasNoControlCharacters(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return false;
  }
  return true;
}
const NO_CONTROL_MESSAGE = 'Must not contain control characters';
const text = (min: number, max: number) =>
  z.string().min(min).max(max).refine(hasNoControlCharacters, NO_CONTROL_MESSAGE);

const httpUrl = z
  .string()
  .max(2048)
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
    } catch {
      return false;
    }
  }, 'Must be an absolute http(s) URL');

export const createSessionRequestSchema = z.object({
  orderReference: text(1, 100),
  orderNumber: text(1, 64),
  amountYen: z.number().int().positive().max(100_000_000),
  currency: z.literal('JPY'),
  idempotencyKey: text(1, 200),
  returnUrl: httpUrl,
  cancelUrl: httpUrl,
  webhookUrl: httpUrl,
  description: text(0, 500),
  customerEmail: z.email().max(254).nullable(),
  expiresAt: z.iso.datetime({ offset: true }),
  /** `automatic` (default): an approved payment is `paid` at once; `manual`: `authorized` until captured. */
  captureMethod: z.enum(['automatic', 'manual']).optional(),
});
export type CreateSessionRequest = z.infer<typeof createSessionRequestSchema>;

export const sessionResponseSchema = z.object({
  providerPaymentId: z.string().regex(PAYMENT_ID_PATTERN),
  redirectUrl: z.url(),
  expiresAt: z.iso.datetime({ offset: true }),
});

export const providerPaymentSchema = z.object({
  providerPaymentId: z.string().regex(PAYMENT_ID_PATTERN),
  orderReference: z.string(),
  status: z.enum(PAYMENT_STATUSES),
  amountYen: z.number().int().nonnegative(),
  refundedYen: z.number().int().nonnegative(),
  brand: z.string().nullable(),
  last4: z
    .string()
    .regex(/^[0-9]{4}$/)
    .nullable(),
  threeDs: z.enum(THREE_DS_OUTCOMES).nullable(),
  failureCode: z.string().nullable(),
});

export const webhookEventSchema = z.object({
  eventId: z.string().regex(/^evt_[0-9A-Za-z]+$/),
  type: z.enum(WEBHOOK_EVENT_TYPES),
  createdAt: z.iso.datetime({ offset: true }),
  payment: providerPaymentSchema,
});

export const captureRequestSchema = z.object({
  amountYen: z.number().int().positive().max(100_000_000).optional(),
});

export const refundRequestSchema = z.object({
  amountYen: z.number().int().positive().max(100_000_000),
  idempotencyKey: text(1, 200),
});

/** Every non-2xx answer of the PSP API. */
export const apiErrorSchema = z.object({
  error: z.string(),
  message: z.string().optional(),
});
