/**
 * The payment provider extension point. Card payments use the redirect model (画面遷移型): the buyer
 * leaves the shop for the provider's own origin, types the card there, and comes back. Nothing in
 * this interface carries a card number, expiry or security code — by construction.
 */
export type ProviderPaymentStatus =
  | 'pending' // session created, buyer has not finished
  | 'authorized' // approved, not yet captured
  | 'paid' // captured
  | 'failed' // declined, 3-D Secure failed, processing error
  | 'cancelled'
  | 'expired'
  | 'refunded'
  | 'partially_refunded';

export type ThreeDsOutcome = 'frictionless' | 'challenge_passed' | 'challenge_failed' | 'not_attempted';

export interface CreateSessionInput {
  /** Mamori's order id: the provider echoes it back as `orderReference`. */
  orderReference: string;
  orderNumber: string;
  amountYen: number;
  currency: 'JPY';
  /** One key per order attempt: the provider returns the same session for the same key. */
  idempotencyKey: string;
  /** Where the provider sends the buyer after paying (or failing). */
  returnUrl: string;
  /** Where the provider sends the buyer who gives up. */
  cancelUrl: string;
  /** Where the provider posts signed webhooks. */
  webhookUrl: string;
  description: string;
  customerEmail: string | null;
  expiresAt: Date;
}

export interface PaymentSession {
  providerPaymentId: string;
  /** URL on the provider's origin. */
  redirectUrl: string;
  expiresAt: string;
}

export interface ProviderPayment {
  providerPaymentId: string;
  orderReference: string;
  status: ProviderPaymentStatus;
  amountYen: number;
  refundedYen: number;
  brand: string | null;
  last4: string | null;
  threeDs: ThreeDsOutcome | null;
  failureCode: string | null;
}

export interface WebhookEvent {
  /** Unique per event: a replay carries the same id. */
  eventId: string;
  type: string;
  createdAt: string;
  payment: ProviderPayment;
}

export class WebhookVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookVerificationError';
  }
}

/**
 * A correctly signed webhook about something the provider does not map to a payment (for example
 * Stripe's charge events). The route acknowledges it with 200 so the provider stops retrying.
 */
export class IgnorableWebhookEvent extends Error {
  constructor(
    readonly eventId: string,
    readonly eventType: string,
    message = `Webhook event ${eventType} is not mapped to a payment`,
  ) {
    super(message);
    this.name = 'IgnorableWebhookEvent';
  }
}

export interface PaymentProvider {
  readonly name: string;
  /** Origin of the hosted payment page; the CSP form-action and redirect checks use it. */
  readonly origin: string;
  createSession(input: CreateSessionInput): Promise<PaymentSession>;
  /** Verifies the signature over the raw body and parses it; throws WebhookVerificationError. */
  parseWebhook(rawBody: string, headers: Record<string, string | string[] | undefined>): WebhookEvent;
  fetchPayment(providerPaymentId: string): Promise<ProviderPayment>;
  capture(providerPaymentId: string, amountYen?: number): Promise<ProviderPayment>;
  cancel(providerPaymentId: string): Promise<ProviderPayment>;
  refund(providerPaymentId: string, amountYen: number, idempotencyKey: string): Promise<ProviderPayment>;
}
