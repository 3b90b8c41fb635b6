/**
 * Stripe Checkout as a PaymentProvider: the buyer is redirected to Stripe's hosted page
 * (https://checkout.stripe.com) and types the card there. Mamori only ever sees the Checkout
 * Session id (`cs_…`, our `providerPaymentId`), the amount, the brand, the last 4 digits, the 3-D
 * Secure outcome and the decline code.
 *
 * Webhook design (decided here; the route in `src/payments/routes.tsx` must follow it):
 *
 * - `parseWebhook` is synchronous in the interface, so it never calls the Stripe API. It first
 *   verifies the `Stripe-Signature` header over the raw body (`stripe.webhooks.constructEvent`,
 *   `t=…,v1=…` HMAC-SHA256 over `"<t>.<body>"`, 300 s tolerance). Any failure — missing, repeated
 *   or malformed header, wrong secret, tampered body, stale timestamp, body that is not an event —
 *   throws `WebhookVerificationError` (the route answers 400).
 * - Only a verified event is looked at. The four Checkout Session events
 *   (`checkout.session.completed`, `checkout.session.async_payment_succeeded`,
 *   `checkout.session.async_payment_failed`, `checkout.session.expired`) carry the session, which
 *   is mapped with the same mapper as `fetchPayment`. Webhook payloads carry no expanded objects,
 *   so brand, last 4 and 3-D Secure are `null` there (the shop keeps what it knew) and the status
 *   comes from the session alone; the shop re-fetches on return and in reconciliation anyway.
 * - Every other verified event — including `charge.refunded`, whose Charge names the
 *   PaymentIntent but not the Checkout Session our payments are keyed by — throws
 *   `UnsupportedWebhookEvent`. It is NOT a `WebhookVerificationError`: the event is authentic, and
 *   the route must answer `200` and ignore it (a `4xx`/`5xx` makes Stripe retry it for days and
 *   eventually disable the endpoint). For charge events the error carries the PaymentIntent id;
 *   `fetchPaymentByPaymentIntent` resolves it to a `ProviderPayment` if the route wants to apply
 *   refunds made in the Stripe Dashboard.
 */
import Stripe from 'stripe';
import {
  IgnorableWebhookEvent,
  WebhookVerificationError,
  type CreateSessionInput,
  type PaymentProvider,
  type PaymentSession,
  type ProviderPayment,
  type ProviderPaymentStatus,
  type ThreeDsOutcome,
  type WebhookEvent,
} from '../provider.js';

export const STRIPE_CHECKOUT_ORIGIN = 'https://checkout.stripe.com';
export const STRIPE_SIGNATURE_HEADER = 'stripe-signature';
/** Seconds a signed webhook stays acceptable (Stripe's default). */
export const STRIPE_WEBHOOK_TOLERANCE_S = 300;

/** The Checkout Session events `parseWebhook` maps; enable these in the Stripe Dashboard. */
export const STRIPE_WEBHOOK_EVENTS = [
  'checkout.session.completed',
  'checkout.session.async_payment_succeeded',
  'checkout.session.async_payment_failed',
  'checkout.session.expired',
] as const;

/** What `fetchPayment` expands: the PaymentIntent and its latest Charge (card brand, last 4, 3DS, refunds). */
const EXPAND = ['payment_intent.latest_charge'];
const SESSION_ID = /^cs_[A-Za-z0-9_]{1,250}$/;
const PAYMENT_INTENT_ID = /^pi_[A-Za-z0-9_]{1,250}$/;

export interface StripeProviderOptions {
  /** `sk_test_…` / `sk_live_…` (or a restricted `rk_…` key with Checkout, PaymentIntents and Refunds write access). */
  secretKey: string;
  /** The endpoint's signing secret, `whsec_…`. */
  webhookSecret: string;
  /** API host, port and protocol: only tests set these (to point the SDK at a local fake). */
  host?: string;
  port?: number;
  protocol?: 'http' | 'https';
  /** Origin of the hosted page (default https://checkout.stripe.com; a Checkout custom domain or a test fake). */
  checkoutOrigin?: string;
  /**
   * `automatic` (default): an approved card is captured at once (`paid`). `manual`: it stays
   * `authorized` until `capture` (Stripe voids an uncaptured authorization after 7 days).
   */
  captureMethod?: 'automatic' | 'manual';
}

/**
 * A Stripe call that failed, or a request the provider refuses before calling Stripe.
 * `status` is Stripe's HTTP status (0 when no answer arrived or nothing was sent), `code` Stripe's
 * error code (`resource_missing`, `card_declined`, …), its error type when it has no code, or one
 * of ours (`network_error`, `payment_not_capturable`, `payment_not_cancellable`,
 * `payment_not_refundable`, `invalid_amount`, `invalid_request`, `redirect_origin_mismatch`).
 * The message never carries Stripe's own text (it is in `stripeMessage`), so it is safe to show.
 */
export class StripeProviderError extends Error {
  readonly stripeMessage: string | null;
  readonly requestId: string | null;

  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    options?: { cause?: unknown; stripeMessage?: string | null; requestId?: string | null },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StripeProviderError';
    this.stripeMessage = options?.stripeMessage ?? null;
    this.requestId = options?.requestId ?? null;
  }
}

/**
 * An authentic Stripe event that does not describe a Checkout Session payment. The webhook route
 * must answer 200 and ignore it (or, for charge events, resolve `paymentIntentId` with
 * `StripeProvider.fetchPaymentByPaymentIntent`). Never answer 4xx/5xx for it.
 */
export class UnsupportedWebhookEvent extends IgnorableWebhookEvent {
  constructor(
    eventId: string,
    eventType: string,
    /** The PaymentIntent the event is about, for `charge.*` and `payment_intent.*` events; else null. */
    readonly paymentIntentId: string | null,
  ) {
    super(eventId, eventType, `Stripe event ${eventType} is not mapped to a payment; acknowledge it with 200`);
    this.name = 'UnsupportedWebhookEvent';
  }
}

export class StripeProvider implements PaymentProvider {
  readonly name = 'stripe';
  readonly origin: string;
  private readonly stripe: Stripe;
  private readonly webhookSecret: string;
  private readonly captureMethod: 'automatic' | 'manual';

  constructor(opts: StripeProviderOptions) {
    if (!/^(sk|rk)_(test|live)_\S+$/.test(opts.secretKey)) {
      throw new Error('STRIPE_SECRET_KEY must be a Stripe secret key (sk_test_…, sk_live_… or rk_…)');
    }
    if (!/^whsec_\S+$/.test(opts.webhookSecret)) {
      throw new Error('STRIPE_WEBHOOK_SECRET must be the endpoint signing secret (whsec_…)');
    }
    this.origin = new URL(opts.checkoutOrigin ?? STRIPE_CHECKOUT_ORIGIN).origin;
    this.webhookSecret = opts.webhookSecret;
    this.captureMethod = opts.captureMethod ?? 'automatic';
    const config: Stripe.StripeConfig = { maxNetworkRetries: 2, timeout: 10_000 };
    if (opts.host !== undefined) config.host = opts.host;
    if (opts.port !== undefined) config.port = opts.port;
    if (opts.protocol !== undefined) config.protocol = opts.protocol;
    this.stripe = new Stripe(opts.secretKey, config);
  }

  async createSession(input: CreateSessionInput): Promise<PaymentSession> {
    if (input.currency !== 'JPY') throw localError(`Unsupported currency ${String(input.currency)}`, 'invalid_request');
    assertYen(input.amountYen);
    if (input.idempotencyKey === '') throw localError('An idempotency key is required', 'invalid_request');
    const reference = { orderReference: input.orderReference, orderNumber: input.orderNumber };
    const params: Stripe.Checkout.SessionCreateParams = {
      mode: 'payment',
      // SDK v23 / API 2026-09-30 replaced `payment_method_types` with this filter.
      allowed_payment_method_types: ['card'],
      line_items: [
        {
          quantity: 1,
          // JPY is zero-decimal: unit_amount is in yen.
          price_data: { currency: 'jpy', unit_amount: input.amountYen, product_data: { name: input.description } },
        },
      ],
      client_reference_id: input.orderReference,
      metadata: reference,
      payment_intent_data: { capture_method: this.captureMethod, description: input.description, metadata: reference },
      success_url: withSessionIdPlaceholder(input.returnUrl),
      cancel_url: input.cancelUrl,
      expires_at: stripeExpiresAt(input.expiresAt),
    };
    if (input.customerEmail) params.customer_email = input.customerEmail;
    // `input.webhookUrl` has no Stripe counterpart: endpoints are configured in the Dashboard.
    const session = await this.call('checkout.sessions.create', () =>
      this.stripe.checkout.sessions.create(params, { idempotencyKey: `mamori-session:${input.idempotencyKey}` }),
    );
    if (!session.url) throw localError('Stripe returned a Checkout Session without a URL', 'invalid_response', 200);
    // The buyer is sent to this URL: it must be on the provider's origin and nowhere else.
    if (new URL(session.url).origin !== this.origin) {
      throw localError(`Stripe returned a redirect URL outside ${this.origin}`, 'redirect_origin_mismatch', 200);
    }
    return {
      providerPaymentId: session.id,
      redirectUrl: session.url,
      expiresAt: new Date(session.expires_at * 1000).toISOString(),
    };
  }

  parseWebhook(rawBody: string, headers: Record<string, string | string[] | undefined>): WebhookEvent {
    const signature = headerValue(headers, STRIPE_SIGNATURE_HEADER);
    if (!signature) throw new WebhookVerificationError('Missing Stripe-Signature header');
    let event: Stripe.Event;
    try {
      event = this.stripe.webhooks.constructEvent(rawBody, signature, this.webhookSecret, STRIPE_WEBHOOK_TOLERANCE_S);
    } catch (err) {
      // StripeSignatureVerificationError, or a body that is not JSON once the signature matched.
      const reason = err instanceof Stripe.errors.StripeSignatureVerificationError ? firstLine(err.message) : 'Webhook body is not a Stripe event';
      throw new WebhookVerificationError(reason);
    }
    if (typeof event !== 'object' || event === null || typeof event.id !== 'string' || typeof event.type !== 'string' || typeof event.created !== 'number') {
      throw new WebhookVerificationError('Webhook body is not a Stripe event');
    }
    const createdAt = new Date(event.created * 1000).toISOString();
    switch (event.type) {
      case 'checkout.session.completed':
      case 'checkout.session.async_payment_succeeded':
      case 'checkout.session.async_payment_failed':
      case 'checkout.session.expired': {
        const session = event.data.object;
        if (session?.object !== 'checkout.session' || typeof session.id !== 'string') {
          throw new WebhookVerificationError(`Webhook ${event.type} does not carry a Checkout Session`);
        }
        if (session.mode !== 'payment') throw new UnsupportedWebhookEvent(event.id, event.type, null);
        return { eventId: event.id, type: event.type, createdAt, payment: mapWebhookSession(session, event.type) };
      }
      case 'charge.refunded':
      case 'charge.refund.updated':
      case 'charge.succeeded':
      case 'charge.failed':
      case 'charge.captured': {
        const obj = event.data.object;
        const pi = 'payment_intent' in obj ? obj.payment_intent : null;
        throw new UnsupportedWebhookEvent(event.id, event.type, idOf(pi));
      }
      default: {
        const obj: { object?: unknown; id?: unknown } = event.data.object;
        const pi = obj.object === 'payment_intent' && typeof obj.id === 'string' ? obj.id : null;
        throw new UnsupportedWebhookEvent(event.id, event.type, pi);
      }
    }
  }

  async fetchPayment(providerPaymentId: string): Promise<ProviderPayment> {
    return mapCheckoutSession(await this.retrieve(providerPaymentId));
  }

  /**
   * The payment a PaymentIntent belongs to (for charge webhooks such as `charge.refunded`): the
   * Checkout Session is looked up by PaymentIntent. Null when no Checkout Session made it.
   */
  async fetchPaymentByPaymentIntent(paymentIntentId: string): Promise<ProviderPayment | null> {
    if (!PAYMENT_INTENT_ID.test(paymentIntentId)) throw localError('Not a PaymentIntent id', 'invalid_request');
    const list = await this.call('checkout.sessions.list', () =>
      this.stripe.checkout.sessions.list({ payment_intent: paymentIntentId, limit: 1 }),
    );
    const session = list.data[0];
    return session ? this.fetchPayment(session.id) : null;
  }

  async capture(providerPaymentId: string, amountYen?: number): Promise<ProviderPayment> {
    if (amountYen !== undefined) assertYen(amountYen);
    const session = await this.retrieve(providerPaymentId);
    const pi = expandedPaymentIntent(session);
    // Repeating a capture is harmless, as with the sandbox.
    if (pi?.status === 'succeeded') return mapCheckoutSession(session);
    if (!pi || pi.status !== 'requires_capture') {
      throw localError(`A payment in state ${pi?.status ?? session.status ?? 'unknown'} cannot be captured`, 'payment_not_capturable', 409);
    }
    if (amountYen !== undefined && amountYen > pi.amount_capturable) {
      throw localError('The capture amount exceeds the authorized amount', 'invalid_amount', 422);
    }
    await this.call('paymentIntents.capture', () =>
      this.stripe.paymentIntents.capture(
        pi.id,
        amountYen === undefined ? undefined : { amount_to_capture: amountYen },
        { idempotencyKey: `mamori-capture:${pi.id}:${amountYen ?? 'full'}` },
      ),
    );
    return this.fetchPayment(providerPaymentId);
  }

  /**
   * Stops a payment: an open Checkout Session is expired (Stripe then reports it, and we map it, as
   * `expired`); an authorized PaymentIntent is cancelled (`cancelled`). Repeating it is harmless; a
   * captured payment must be refunded instead.
   */
  async cancel(providerPaymentId: string): Promise<ProviderPayment> {
    const session = await this.retrieve(providerPaymentId);
    if (session.status === 'open') {
      await this.call('checkout.sessions.expire', () => this.stripe.checkout.sessions.expire(session.id));
      return this.fetchPayment(providerPaymentId);
    }
    const pi = expandedPaymentIntent(session);
    if (session.status === 'expired' || !pi || pi.status === 'canceled') return mapCheckoutSession(session);
    if (pi.status === 'succeeded') {
      throw localError('A captured payment cannot be cancelled; refund it instead', 'payment_not_cancellable', 409);
    }
    await this.call('paymentIntents.cancel', () =>
      this.stripe.paymentIntents.cancel(pi.id, undefined, { idempotencyKey: `mamori-cancel:${pi.id}` }),
    );
    return this.fetchPayment(providerPaymentId);
  }

  async refund(providerPaymentId: string, amountYen: number, idempotencyKey: string): Promise<ProviderPayment> {
    assertYen(amountYen);
    if (idempotencyKey === '') throw localError('An idempotency key is required', 'invalid_request');
    const session = await this.retrieve(providerPaymentId);
    const pi = expandedPaymentIntent(session);
    // A fully refunded PaymentIntent is still `succeeded`, so a replay with the same key gets here
    // and Stripe answers with the first refund. Amount checks are Stripe's.
    if (!pi || pi.status !== 'succeeded') {
      throw localError(`A payment in state ${pi?.status ?? session.status ?? 'unknown'} cannot be refunded`, 'payment_not_refundable', 409);
    }
    const metadata = { orderReference: orderReferenceOf(session) };
    await this.call('refunds.create', () =>
      this.stripe.refunds.create({ payment_intent: pi.id, amount: amountYen, metadata }, { idempotencyKey: `mamori-refund:${idempotencyKey}` }),
    );
    return this.fetchPayment(providerPaymentId);
  }

  private retrieve(providerPaymentId: string): Promise<Stripe.Checkout.Session> {
    if (!SESSION_ID.test(providerPaymentId)) {
      return Promise.reject(localError('Not a Stripe Checkout Session id', 'invalid_request'));
    }
    return this.call('checkout.sessions.retrieve', () =>
      this.stripe.checkout.sessions.retrieve(providerPaymentId, { expand: EXPAND }),
    );
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof Stripe.errors.StripeConnectionError) {
        throw new StripeProviderError(`Stripe ${what} failed: no answer`, 0, 'network_error', { cause: err, stripeMessage: err.message });
      }
      if (err instanceof Stripe.errors.StripeError) {
        const status = err.statusCode ?? 0;
        const code = err.code ?? err.rawType ?? 'stripe_error';
        throw new StripeProviderError(`Stripe ${what} answered ${status} ${code}`, status, code, {
          cause: err,
          stripeMessage: err.message,
          requestId: err.requestId ?? null,
        });
      }
      throw new StripeProviderError(`Stripe ${what} failed`, 0, 'network_error', { cause: err });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Mapping (pure functions, exported for tests)
// ---------------------------------------------------------------------------------------------

/**
 * A Checkout Session (retrieved with `payment_intent.latest_charge` expanded) as a ProviderPayment.
 *
 * - expired session → `expired` (Stripe cancels its PaymentIntent);
 * - PaymentIntent `succeeded` → `paid`, or `partially_refunded` / `refunded` from the charge's
 *   refunds; `requires_capture` → `authorized`; `canceled` → `cancelled`;
 * - otherwise a `last_payment_error` → `failed` (the buyer may still retry on Stripe's page while
 *   the session is open), else `pending`;
 * - without an expanded PaymentIntent (webhooks): `complete` + `paid` → `paid`, else `pending`.
 */
export function mapCheckoutSession(session: Stripe.Checkout.Session): ProviderPayment {
  const pi = expandedPaymentIntent(session);
  const charge = pi && typeof pi.latest_charge === 'object' ? pi.latest_charge : null;
  const card = charge?.payment_method_details?.card ?? null;
  const sessionAmount = session.amount_total ?? pi?.amount ?? 0;
  let status: ProviderPaymentStatus;
  let amountYen = sessionAmount;
  let refundedYen = 0;
  let failureCode: string | null = null;

  if (session.status === 'expired') {
    status = 'expired';
  } else if (pi) {
    switch (pi.status) {
      case 'succeeded':
        // After a partial capture the payment's amount is what was captured (as with the sandbox).
        amountYen = pi.amount_received > 0 ? pi.amount_received : sessionAmount;
        refundedYen = refundedOf(charge, amountYen);
        status = refundedYen >= amountYen ? 'refunded' : refundedYen > 0 ? 'partially_refunded' : 'paid';
        break;
      case 'requires_capture':
        status = 'authorized';
        break;
      case 'canceled':
        status = 'cancelled';
        break;
      default:
        if (pi.last_payment_error) {
          status = 'failed';
          failureCode = failureCodeOf(pi.last_payment_error);
        } else {
          status = 'pending';
        }
    }
  } else {
    status = session.status === 'complete' && session.payment_status === 'paid' ? 'paid' : 'pending';
  }

  const brand = card?.brand && card.brand !== 'unknown' ? card.brand : null;
  return {
    providerPaymentId: session.id,
    orderReference: orderReferenceOf(session),
    status,
    amountYen,
    refundedYen,
    brand,
    last4: card?.last4 ?? null,
    threeDs: threeDsOf(pi, card),
    failureCode,
  };
}

/** A webhook's session: nothing is expanded, so brand, last 4 and 3-D Secure stay unknown (null). */
export function mapWebhookSession(session: Stripe.Checkout.Session, eventType: string): ProviderPayment {
  const base = mapCheckoutSession({ ...session, payment_intent: idOf(session.payment_intent) });
  const payment: ProviderPayment = { ...base, brand: null, last4: null, threeDs: null };
  if (eventType === 'checkout.session.async_payment_failed') return { ...payment, status: 'failed', failureCode: 'async_payment_failed' };
  if (eventType === 'checkout.session.expired') return { ...payment, status: 'expired', failureCode: null };
  return payment;
}

/**
 * 3-D Secure as Mamori records it. `authenticated` and `attempt_acknowledged` are a pass, by the
 * flow (`challenge` → challenge_passed, otherwise frictionless); `failed` or an authentication
 * failure on the PaymentIntent → challenge_failed; no 3DS data on a card charge (or `exempted`,
 * `not_supported`, …) → not_attempted; no card seen yet → null.
 */
export function threeDsOf(
  pi: Stripe.PaymentIntent | null,
  card: Stripe.Charge.PaymentMethodDetails.Card | null,
): ThreeDsOutcome | null {
  if (pi && pi.status !== 'succeeded' && pi.last_payment_error?.code === 'payment_intent_authentication_failure') {
    return 'challenge_failed';
  }
  if (!card) return null;
  const tds = card.three_d_secure;
  if (!tds) return 'not_attempted';
  switch (tds.result) {
    case 'authenticated':
    case 'attempt_acknowledged':
      return tds.authentication_flow === 'challenge' ? 'challenge_passed' : 'frictionless';
    case 'failed':
      return 'challenge_failed';
    default:
      return 'not_attempted';
  }
}

/** The decline code (`insufficient_funds`, `stolen_card`, …), else the error code; 3DS failure is `3ds_failed` as in the sandbox. */
export function failureCodeOf(error: Stripe.PaymentIntent.LastPaymentError): string {
  if (error.code === 'payment_intent_authentication_failure') return '3ds_failed';
  const code = error.decline_code ?? error.code ?? 'card_declined';
  return /^[a-z0-9_]{1,40}$/.test(code) ? code : 'card_declined';
}

/**
 * Yen refunded to the buyer. When less than the authorization was captured, Stripe counts the
 * released remainder in `amount_refunded`; that part was never paid and is not a refund here.
 */
function refundedOf(charge: Stripe.Charge | null, amountYen: number): number {
  if (!charge || !charge.captured) return 0;
  const released = Math.max(0, charge.amount - charge.amount_captured);
  return Math.min(amountYen, Math.max(0, charge.amount_refunded - released));
}

function expandedPaymentIntent(session: Stripe.Checkout.Session): Stripe.PaymentIntent | null {
  return session.payment_intent !== null && typeof session.payment_intent === 'object' ? session.payment_intent : null;
}

function orderReferenceOf(session: Stripe.Checkout.Session): string {
  return session.client_reference_id ?? session.metadata?.orderReference ?? '';
}

function idOf(ref: string | { id: string } | null | undefined): string | null {
  if (ref === null || ref === undefined) return null;
  return typeof ref === 'string' ? ref : ref.id;
}

/**
 * `returnUrl` with `payment={CHECKOUT_SESSION_ID}` appended to its query (existing parameters kept
 * byte for byte). Stripe substitutes the literal placeholder with the session id when it redirects
 * the buyer, so the braces must not be percent-encoded.
 */
export function withSessionIdPlaceholder(returnUrl: string): string {
  const hashAt = returnUrl.indexOf('#');
  const base = hashAt === -1 ? returnUrl : returnUrl.slice(0, hashAt);
  const hash = hashAt === -1 ? '' : returnUrl.slice(hashAt);
  let parsed: URL;
  try {
    parsed = new URL(base);
  } catch {
    throw localError('The return URL is not a URL', 'invalid_request');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw localError('The return URL must be http(s)', 'invalid_request');
  if (parsed.searchParams.has('payment')) throw localError('The return URL already has a payment parameter', 'invalid_request');
  const separator = !base.includes('?') ? '?' : base.endsWith('?') || base.endsWith('&') ? '' : '&';
  return `${base}${separator}payment={CHECKOUT_SESSION_ID}${hash}`;
}

const STEP_S = 60;
/** Stripe wants expires_at 30 min to 24 h after it receives the request; keep clear of both ends. */
const MIN_AHEAD_S = 30 * 60 + 90;
const MAX_AHEAD_S = 24 * 60 * 60 - 90;

/**
 * `expiresAt` in unix seconds, clamped into Stripe's window (30 min – 24 h from now). A value out
 * of the window is moved by whole minutes, so a retry with the same idempotency key a few seconds
 * later sends the same value (Stripe refuses a key reused with other parameters). The shop's
 * 30-minute sessions become 32 minutes at Stripe.
 */
export function stripeExpiresAt(expiresAt: Date, now: Date = new Date()): number {
  const wanted = Math.floor(expiresAt.getTime() / 1000);
  const nowS = Math.floor(now.getTime() / 1000);
  if (wanted < nowS + MIN_AHEAD_S) return wanted + Math.ceil((nowS + MIN_AHEAD_S - wanted) / STEP_S) * STEP_S;
  if (wanted > nowS + MAX_AHEAD_S) return wanted - Math.ceil((wanted - nowS - MAX_AHEAD_S) / STEP_S) * STEP_S;
  return wanted;
}

function assertYen(amountYen: number): void {
  if (!Number.isSafeInteger(amountYen) || amountYen <= 0) throw localError('The amount must be a positive whole number of yen', 'invalid_amount');
}

function localError(message: string, code: string, status = 0): StripeProviderError {
  return new StripeProviderError(message, status, code);
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).trim().slice(0, 200);
}

/** A header by case-insensitive name; a repeated header is refused rather than guessed at. */
function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted) continue;
    if (Array.isArray(value)) {
      if (value.length !== 1) throw new WebhookVerificationError(`Expected one ${name} header`);
      return value[0];
    }
    return value;
  }
  return undefined;
}
